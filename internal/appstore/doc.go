// Package appstore proves that an App Store Connect API team key works: it
// signs the ES256 JWT Apple expects and asks GET /v1/apps whether the key is
// accepted and which bundle IDs it can see, and it turns Apple's answers into
// errors that say what went wrong and what to do next.
package appstore
