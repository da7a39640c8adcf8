// Package asckey takes in an App Store Connect API key (.p8) as people
// really store it in secrets, normalises it to a clean PKCS#8 PEM and
// fingerprints it, and checks the Key ID and Issuer ID that go with it.
//
// Everything that is not a usable ECDSA P-256 private key is rejected with
// an *IntakeError that says what was found, never quoting any part of the
// value it was given; the caller says what to do about it.
package asckey
