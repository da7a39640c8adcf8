package playkey

// Kind classifies why a service-account key was refused.
type Kind string

// The reasons Parse refuses a key.
const (
	KindEmpty        Kind = "empty"         // nothing was given
	KindTooLarge     Kind = "too-large"     // far larger than any key file
	KindNotJSON      Kind = "not-json"      // neither JSON nor base64 of JSON
	KindASCKey       Kind = "apple-key"     // an App Store Connect .p8 key
	KindBareKey      Kind = "bare-key"      // a private key without the JSON around it
	KindWrongType    Kind = "wrong-type"    // JSON of another kind of credential
	KindMissingField Kind = "missing-field" // a required field is absent or empty
	KindBadField     Kind = "bad-field"     // a field has a value that cannot be right
	KindPrivateKey   Kind = "private-key"   // private_key cannot be read
	KindEncrypted    Kind = "encrypted-key" // private_key is protected by a passphrase
	KindTokenURI     Kind = "token-uri"     // token_uri points somewhere not trusted
)

// Cause narrows a Kind where what to do about it differs; "" is the
// Kind's usual case.
type Cause string

// Causes within a Kind.
const (
	CauseLayers     Cause = "layers"      // KindNotJSON: encoded too many times over
	CauseNothing    Cause = "nothing"     // KindNotJSON: base64 of nothing
	CauseCertPEM    Cause = "cert-pem"    // KindNotJSON: a certificate or public key PEM
	CausePEM        Cause = "pem"         // KindNotJSON: another PEM block
	CauseSyntax     Cause = "syntax"      // KindNotJSON: JSON that does not parse
	CauseInJSON     Cause = "in-json"     // KindASCKey: an EC key as the private_key of a JSON file
	CauseNoType     Cause = "no-type"     // KindMissingField: no type field
	CauseEmptyKey   Cause = "empty-key"   // KindMissingField: private_key is empty
	CauseNotPEM     Cause = "not-pem"     // KindPrivateKey: neither PEM nor base64
	CauseArmour     Cause = "armour"      // KindPrivateKey: BEGIN and END lines disagree
	CauseCut        Cause = "cut"         // KindPrivateKey: no END line
	CauseDamaged    Cause = "damaged"     // KindPrivateKey: the key's bytes do not parse
	CauseNotRSAFile Cause = "not-rsa-key" // KindPrivateKey: a key, but not one of a Google key file
)

// IntakeError reports a service-account key refused before any request.
// Found says what was found, starting lower-case and never quoting the
// input; what to do about it is the caller's to say.
type IntakeError struct {
	Kind  Kind
	Cause Cause
	Found string
}

func (e *IntakeError) Error() string { return e.Found }

func intakeErr(kind Kind, found string) *IntakeError {
	return &IntakeError{Kind: kind, Found: found}
}

func causeErr(kind Kind, cause Cause, found string) *IntakeError {
	return &IntakeError{Kind: kind, Cause: cause, Found: found}
}
