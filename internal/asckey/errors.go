package asckey

import "fmt"

// Reason classifies an IntakeError for callers and tests; the text of the
// error is for people.
type Reason string

// Reasons an intake can fail.
const (
	ReasonEmpty          Reason = "empty"
	ReasonTooLarge       Reason = "too-large"
	ReasonRSA            Reason = "rsa"
	ReasonOtherKeyType   Reason = "other-key-type" // Ed25519, DSA, X25519, OpenSSH, ...
	ReasonCurve          Reason = "curve"          // EC, but not on P-256
	ReasonEncrypted      Reason = "encrypted"
	ReasonCorrupt        Reason = "corrupt" // truncated or mangled PEM, base64 or DER
	ReasonPublicKey      Reason = "public-key"
	ReasonCertificate    Reason = "certificate" // also CSRs and .p12 bundles
	ReasonServiceAccount Reason = "service-account"
	ReasonMultipleKeys   Reason = "multiple-keys"
	ReasonUnrecognised   Reason = "unrecognised"
	ReasonKeyID          Reason = "key-id"
	ReasonIssuerID       Reason = "issuer-id"
	ReasonNoIssuerID     Reason = "no-issuer-id"
	ReasonSwapped        Reason = "swapped-ids" // Key ID and Issuer ID given in each other's place
)

// IntakeError rejects a key, Key ID or Issuer ID before any network call.
// Its message says what was found and what to do next; it never contains
// any part of a key.
type IntakeError struct {
	Reason Reason
	title  string
	msg    string
}

// Title is a short summary, used as the title of a GitHub annotation.
func (e *IntakeError) Title() string { return e.title }

func (e *IntakeError) Error() string { return e.msg }

// storeHint ends every message about a damaged value.
const storeHint = "Store the file exactly as downloaded, e.g. `gh secret set ASC_KEY < AuthKey_XXXXXXXXXX.p8`, " +
	"or pass its path in asc-key-file."

// downloadHint ends every message about a value that is not an App Store
// Connect key at all.
const downloadHint = "App Store Connect API keys are ECDSA P-256 private keys, downloaded once as AuthKey_XXXXXXXXXX.p8 " +
	"from App Store Connect (Users and Access → Integrations → App Store Connect API); store that file as it is."

func errEmpty() *IntakeError {
	return &IntakeError{
		Reason: ReasonEmpty,
		title:  "App Store Connect key is empty",
		msg: "The App Store Connect key is empty. GitHub does not pass secrets to workflows triggered from forks " +
			"or by Dependabot; otherwise check that the secret name used in the workflow " +
			"(e.g. `asc-key: ${{ secrets.ASC_KEY }}`) matches the repository or organisation secret.",
	}
}

func errTooLarge(n int) *IntakeError {
	return &IntakeError{
		Reason: ReasonTooLarge,
		title:  "App Store Connect key is too large",
		msg: fmt.Sprintf("The App Store Connect key is %d bytes; a .p8 key is about 250 bytes, so this is something else. %s",
			n, downloadHint),
	}
}

func errRSA() *IntakeError {
	return &IntakeError{
		Reason: ReasonRSA,
		title:  "App Store Connect key is an RSA key",
		msg: "Found an RSA private key, not an App Store Connect key (a Google service-account key belongs in " +
			"play-service-account). " + downloadHint,
	}
}

func errOtherKeyType(name string) *IntakeError {
	return &IntakeError{
		Reason: ReasonOtherKeyType,
		title:  "App Store Connect key is " + article(name) + " " + name + " key",
		msg:    "Found " + article(name) + " " + name + " private key, not an App Store Connect key. " + downloadHint,
	}
}

func errCurve(name string) *IntakeError {
	return &IntakeError{
		Reason: ReasonCurve,
		title:  "App Store Connect key uses curve " + name,
		msg: "Found an EC private key on curve " + name + "; App Store Connect keys use P-256 (prime256v1), " +
			"so this is not a key from App Store Connect. " + downloadHint,
	}
}

func errCurveExplicit() *IntakeError {
	return &IntakeError{
		Reason: ReasonCurve,
		title:  "App Store Connect key has explicit curve parameters",
		msg: "Found an EC private key with explicit curve parameters instead of the named curve P-256; " +
			"keys from App Store Connect never look like this. " + downloadHint,
	}
}

func errCurveMissing() *IntakeError {
	return &IntakeError{
		Reason: ReasonCurve,
		title:  "App Store Connect key does not name its curve",
		msg: "Found an EC private key that does not say which curve it is on; keys from App Store Connect are " +
			"PKCS#8 and name P-256. " + downloadHint,
	}
}

func errEncrypted(what string) *IntakeError {
	return &IntakeError{
		Reason: ReasonEncrypted,
		title:  "App Store Connect key is encrypted",
		msg: "Found " + what + "; the action needs the key unencrypted. Keys downloaded from App Store Connect " +
			"are never encrypted: store the AuthKey_XXXXXXXXXX.p8 file as downloaded, or export this one " +
			"unencrypted (`openssl pkey -in encrypted.pem -out AuthKey_XXXXXXXXXX.p8`).",
	}
}

// errCorrupt: found says what was seen, e.g. "a PEM PRIVATE KEY block
// whose END line is missing".
func errCorrupt(found string) *IntakeError {
	return &IntakeError{
		Reason: ReasonCorrupt,
		title:  "App Store Connect key is truncated or corrupt",
		msg:    "Found " + found + ". The secret was probably cut or mangled when it was pasted. " + storeHint,
	}
}

func errPublicKey(what string) *IntakeError {
	return &IntakeError{
		Reason: ReasonPublicKey,
		title:  "App Store Connect key is a public key",
		msg: "Found " + what + "; the action needs the private key .p8 you downloaded from App Store Connect " +
			"(AuthKey_XXXXXXXXXX.p8). " + storeHint,
	}
}

func errCertificate(title, what string) *IntakeError {
	return &IntakeError{
		Reason: ReasonCertificate,
		title:  title,
		msg: "Found " + what + "; the action needs the private key .p8 you downloaded from App Store Connect " +
			"(AuthKey_XXXXXXXXXX.p8), not a signing certificate. " + storeHint,
	}
}

func errServiceAccount() *IntakeError {
	return &IntakeError{
		Reason: ReasonServiceAccount,
		title:  "Google service account given as App Store Connect key",
		msg: "Found a Google service-account JSON where the App Store Connect key belongs; pass it in input " +
			"play-service-account instead, and put the App Store Connect .p8 key in asc-key.",
	}
}

func errFastlaneJSON() *IntakeError {
	return &IntakeError{
		Reason: ReasonUnrecognised,
		title:  "App Store Connect key is a fastlane JSON",
		msg: "Found a fastlane API key JSON (key_id, issuer_id, key); give its parts separately: the value of " +
			"\"key\" (the .p8) in asc-key, key_id in asc-key-id and issuer_id in asc-issuer-id.",
	}
}

func errMultipleKeys(n int) *IntakeError {
	count := fmt.Sprint(n)
	if n >= maxPEMBlocks {
		count += " or more"
	}
	return &IntakeError{
		Reason: ReasonMultipleKeys,
		title:  "App Store Connect key holds several keys",
		msg: fmt.Sprintf("Found %s private keys in one value; the action needs exactly one, "+
			"the AuthKey_XXXXXXXXXX.p8 of the Key ID given. %s", count, storeHint),
	}
}

// errUnrecognised: found says what was seen without quoting it, e.g.
// "text that is neither PEM nor base64".
func errUnrecognised(found string) *IntakeError {
	return errLooksLike(found, downloadHint)
}

// errLooksLike: found says what the value looks like, next what to do.
func errLooksLike(found, next string) *IntakeError {
	return &IntakeError{
		Reason: ReasonUnrecognised,
		title:  "App Store Connect key not recognised",
		msg:    "Found " + found + ". " + next,
	}
}

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
