// Package googlestandin is a loopback stand-in for the two Google services
// the Play check talks to: the OAuth 2.0 token endpoint (JWT-bearer grant,
// RFC 7523) at /token, which verifies the RS256 assertion against the
// registered public key as Google does; the Google Play Developer API's
// edits and track release lists under /androidpublisher/v3/, which check the
// access token, the API's state in the account's Cloud project and the
// package grant, and answer with Google's error bodies; and the public
// certificate list of each service account's keys under
// /robot/v1/metadata/x509/, whose validity is each key's lifetime. Tests and
// the sandbox command use it.
//
// Where it knowingly differs from Google: access tokens stay valid until
// they expire even when the key that obtained them is deleted (Google may
// revoke them sooner); edits expire after an hour; only insert, get and
// delete of edits exist; every app's production track holds one release and
// other tracks none; certificates are signed by the stand-in's own issuer
// key, not self-signed by the service-account key as Google's are.
package googlestandin
