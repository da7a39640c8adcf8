// Package playkey takes in a Google Play service-account key (the JSON file
// Google Cloud gives out, as people paste it into repository secrets: raw,
// base64 of it, or wrapped in a JSON string), checks it locally, and turns it
// into a canonical JSON text to upload, the RSA private key to sign with, and
// the fingerprint and IDs that may be shown. It refuses, before any request,
// a key that would send a signed assertion anywhere but Google or loopback.
package playkey
