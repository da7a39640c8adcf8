package asckey

import "fmt"

// Reason classifies an IntakeError; the action package turns it, with the
// error's fields, into a title and advice.
type Reason string

// Reasons an intake can fail.
const (
	ReasonEmpty          Reason = "empty"
	ReasonTooLarge       Reason = "too-large" // N: the size in bytes
	ReasonRSA            Reason = "rsa"
	ReasonOtherKeyType   Reason = "other-key-type" // Name: Ed25519, DSA, X25519, OpenSSH, ...
	ReasonCurve          Reason = "curve"          // EC, but Name is not P-256
	ReasonCurveExplicit  Reason = "explicit-curve" // EC with explicit curve parameters
	ReasonCurveMissing   Reason = "no-curve"       // EC naming no curve at all
	ReasonEncrypted      Reason = "encrypted"
	ReasonCorrupt        Reason = "corrupt" // truncated or mangled PEM, base64 or DER
	ReasonPublicKey      Reason = "public-key"
	ReasonCertificate    Reason = "certificate" // Name: certificate, certificate request, .p12 file
	ReasonServiceAccount Reason = "service-account"
	ReasonFastlane       Reason = "fastlane-json"
	ReasonMultipleKeys   Reason = "multiple-keys" // N: how many, at least
	ReasonUnrecognised   Reason = "unrecognised"
	ReasonIssuerIDAsKey  Reason = "issuer-id-as-key"
	ReasonKeyIDAsKey     Reason = "key-id-as-key"
	ReasonFileName       Reason = "file-name" // a file name where the key belongs
	ReasonNoKeyID        Reason = "no-key-id"
	ReasonKeyIDIsUUID    Reason = "key-id-is-uuid"
	ReasonKeyID          Reason = "key-id" // Problems, Shown
	ReasonNoIssuerID     Reason = "no-issuer-id"
	ReasonIssuerIDSpaced Reason = "issuer-id-spaced"
	ReasonIssuerIDTeamID Reason = "issuer-id-team-id"
	ReasonIssuerIDHex    Reason = "issuer-id-no-dashes"
	ReasonIssuerID       Reason = "issuer-id"   // N: its length in characters
	ReasonSwapped        Reason = "swapped-ids" // Key ID and Issuer ID given in each other's place
)

// IntakeError rejects a key, Key ID or Issuer ID before any network call.
// It says what was found and never contains any part of a key; what to do
// about it is the caller's to say.
type IntakeError struct {
	Reason Reason
	// Found says what the value is or holds, e.g. "an RSA private key" or
	// "a PEM PRIVATE KEY block whose END line is missing".
	Found string
	// Name is the key type, the curve, or what kind of certificate.
	Name string
	// N is a size, a count or a length; see the Reason.
	N int
	// Problems say what is wrong with a Key ID ("is 9 characters long");
	// Shown is the Key ID itself when it is short enough to quote.
	Problems []string
	Shown    string
}

func (e *IntakeError) Error() string {
	switch e.Reason {
	case ReasonEmpty:
		return "key is empty"
	case ReasonTooLarge:
		return fmt.Sprintf("key is %d bytes", e.N)
	}
	return "found " + e.Found
}

func errFound(r Reason, what string) *IntakeError { return &IntakeError{Reason: r, Found: what} }

func errEmpty() *IntakeError { return &IntakeError{Reason: ReasonEmpty} }

func errTooLarge(n int) *IntakeError { return &IntakeError{Reason: ReasonTooLarge, N: n} }

func errRSA() *IntakeError { return errFound(ReasonRSA, "an RSA private key") }

func errOtherKeyType(name string) *IntakeError {
	return &IntakeError{Reason: ReasonOtherKeyType, Name: name, Found: article(name) + " " + name + " private key"}
}

func errCurve(name string) *IntakeError {
	return &IntakeError{Reason: ReasonCurve, Name: name, Found: "an EC private key on curve " + name}
}

func errCurveExplicit() *IntakeError {
	return errFound(ReasonCurveExplicit, "an EC private key with explicit curve parameters instead of the named curve P-256")
}

func errCurveMissing() *IntakeError {
	return errFound(ReasonCurveMissing, "an EC private key that does not say which curve it is on")
}

func errEncrypted(what string) *IntakeError { return errFound(ReasonEncrypted, what) }

// errCorrupt: what says what was seen, e.g. "a PEM PRIVATE KEY block
// whose END line is missing".
func errCorrupt(what string) *IntakeError { return errFound(ReasonCorrupt, what) }

func errPublicKey(what string) *IntakeError { return errFound(ReasonPublicKey, what) }

// errCertificate: kind is "certificate", "certificate request" or ".p12 file".
func errCertificate(kind, what string) *IntakeError {
	return &IntakeError{Reason: ReasonCertificate, Name: kind, Found: what}
}

func errServiceAccount() *IntakeError {
	return errFound(ReasonServiceAccount, "a Google service-account JSON")
}

func errFastlaneJSON() *IntakeError {
	return errFound(ReasonFastlane, "a fastlane API key JSON (key_id, issuer_id, key)")
}

func errMultipleKeys(n int) *IntakeError {
	count := fmt.Sprint(n)
	if n >= maxPEMBlocks {
		count += " or more"
	}
	return &IntakeError{Reason: ReasonMultipleKeys, N: n, Found: count + " private keys"}
}

// errUnrecognised: what says what was seen without quoting it, e.g.
// "text that is neither PEM nor base64".
func errUnrecognised(what string) *IntakeError { return errFound(ReasonUnrecognised, what) }

func article(word string) string {
	if word == "" {
		return "a"
	}
	switch word[0] {
	case 'A', 'E', 'I', 'O', 'U', 'a', 'e', 'i', 'o', 'u', 'X', 'R', 'S', 'M':
		// "an X25519", "an RSA", "an SM2", "an ML-DSA" read as letters.
		return "an"
	}
	return "a"
}
