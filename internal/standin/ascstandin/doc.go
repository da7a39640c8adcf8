// Package ascstandin is a loopback stand-in for the App Store Connect API.
// It verifies every bearer token as Apple documents it, answers with
// Apple's JSON:API error bodies and X-Rate-Limit header, and serves
// GET /v1/apps for the apps of the key's team, so the client and the
// sandbox can be exercised end to end without reaching Apple. A team can be
// put in the state of an agreement its Account Holder has not accepted
// (SetAgreement): every call then gets Apple's 403
// FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED, or its apps are hidden.
// A key can be an individual key (Key.Individual), which takes only tokens
// with sub "user" and no iss, and the stand-in's clock can be shifted
// (WithClockOffset): tokens are judged by it and answers dated by it, as a
// runner whose clock is off sees Apple.
//
// Where it knowingly differs from Apple: it serves only /v1/apps and
// /v1/apps/{id}, read-only (PATCH and other unserved methods get 405); it
// rejects query parameters it does not implement (sort, include, …) with
// PARAMETER_ERROR.ILLEGAL; it type-checks the optional scope claim but does
// not enforce it; and the texts of its 400 details and of the 405 are its
// own, since Apple's exact wording for those was not found.
package ascstandin
