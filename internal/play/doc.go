// Package play proves that a Google Play service-account key works: it
// exchanges a signed JWT for an access token at Google's token endpoint
// (RFC 7523 JWT-bearer grant, scope androidpublisher), then, for each
// package, lists the releases of its production track (GET
// …/applications/{package}/tracks/production/releases), which opens
// nothing. Google's answers become typed errors that say what went wrong and
// what to do next. Alongside the token exchange it reads the key's lifetime
// from Google's public certificate list of the service account.
//
// With Client.Edit (the edit check) it opens an edit with POST
// …/applications/{package}/edits and deletes it again at once instead.
// Opening an edit invalidates any open edit of the same service account for
// the same app (Google keeps one active edit per API user and app), so that
// check must not run while a release with the same service account is
// uploading to that app.
package play
