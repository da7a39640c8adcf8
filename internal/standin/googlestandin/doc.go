// Package googlestandin is a loopback stand-in for the two Google services
// the Play check talks to: the OAuth 2.0 token endpoint (JWT-bearer grant,
// RFC 7523) at /token, which verifies the RS256 assertion against the
// registered public key as Google does, and the Google Play Developer API's
// edits under /androidpublisher/v3/, which checks the access token, the API's
// state in the account's Cloud project and the package grant, and answers
// with Google's error bodies. Tests and the sandbox command use it.
//
// Where it knowingly differs from Google: access tokens stay valid until
// they expire even when the key that obtained them is deleted (Google may
// revoke them sooner); edits expire after an hour; only insert, get and
// delete of edits exist.
package googlestandin
