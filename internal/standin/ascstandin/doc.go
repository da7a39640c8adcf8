// Package ascstandin is a loopback stand-in for the App Store Connect API.
// It verifies every bearer token as Apple documents it, answers with
// Apple's JSON:API error bodies and X-Rate-Limit header, and serves
// GET /v1/apps for the apps of the key's team, so the client and the
// sandbox can be exercised end to end without reaching Apple.
package ascstandin
