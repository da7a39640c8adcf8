// Package play proves that a Google Play service-account key works: it
// exchanges a signed JWT for an access token at Google's token endpoint
// (RFC 7523 JWT-bearer grant, scope androidpublisher), then, for each
// package, opens an edit with POST …/applications/{package}/edits and
// deletes it again at once. Google's answers become typed errors that say
// what went wrong and what to do next.
//
// Opening an edit invalidates any open edit of the same service account for
// the same app (Google keeps one active edit per API user and app), so the
// check must not run while a release with the same service account is
// uploading to that app.
package play
