package playkey

// Kind classifies why a service-account key was refused.
type Kind string

// The reasons Parse refuses a key.
const (
	KindEmpty        Kind = "empty"         // nothing was given
	KindTooLarge     Kind = "too-large"     // far larger than any key file
	KindNotJSON      Kind = "not-json"      // neither JSON nor base64 of JSON
	KindASCKey       Kind = "asc-key"       // an App Store Connect .p8 key
	KindBareKey      Kind = "bare-key"      // a private key without the JSON around it
	KindWrongType    Kind = "wrong-type"    // JSON of another kind of credential
	KindMissingField Kind = "missing-field" // a required field is absent or empty
	KindBadField     Kind = "bad-field"     // a field has a value that cannot be right
	KindPrivateKey   Kind = "private-key"   // private_key cannot be read
	KindEncrypted    Kind = "encrypted-key" // private_key is protected by a passphrase
	KindTokenURI     Kind = "token-uri"     // token_uri points somewhere not trusted
)

// IntakeError reports a service-account key refused before any request. Its
// message says what was found and what to do; it never quotes the input.
type IntakeError struct {
	Kind   Kind
	Detail string // what was found and what to do next
	Err    error  // terse inner cause that never carries input content; may be nil
}

// Title is a short heading for the error, e.g. for a GitHub annotation.
func (e *IntakeError) Title() string {
	switch e.Kind {
	case KindEmpty:
		return "Play service-account key is empty"
	case KindTooLarge:
		return "Play service-account key is too large"
	case KindNotJSON:
		return "Play service-account key is not JSON"
	case KindASCKey:
		return "App Store Connect key given as Play key"
	case KindBareKey:
		return "Play private key without its JSON"
	case KindWrongType:
		return "Not a service-account key"
	case KindMissingField:
		return "Play service-account key is incomplete"
	case KindBadField:
		return "Play service-account key has a bad field"
	case KindPrivateKey:
		return "Play private key is unreadable"
	case KindEncrypted:
		return "Play private key is encrypted"
	case KindTokenURI:
		return "Untrusted token_uri in Play key"
	}
	return "Play service-account key refused"
}

func (e *IntakeError) Error() string { return e.Detail }

func (e *IntakeError) Unwrap() error { return e.Err }

func intakeErr(kind Kind, detail string) *IntakeError {
	return &IntakeError{Kind: kind, Detail: detail}
}
