package asckey

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// CheckKeyID checks a Key ID: exactly 10 upper-case letters and digits.
// Key IDs are not secret, so a short wrong value is kept in Shown.
// Values are expected trimmed; surrounding whitespace is reported.
func CheckKeyID(id string) error {
	if isKeyID(id) {
		return nil
	}
	if id == "" {
		return &IntakeError{Reason: ReasonNoKeyID, Found: "no Key ID"}
	}
	trimmed := strings.TrimSpace(id)
	if isUUID(trimmed) {
		return &IntakeError{Reason: ReasonKeyIDIsUUID, Found: "a UUID as the Key ID"}
	}
	var what []string
	if trimmed != id {
		what = append(what, "has spaces or line breaks around it")
	}
	if n := utf8.RuneCountInString(trimmed); n != 10 {
		what = append(what, fmt.Sprintf("is %d characters long", n))
	}
	if strings.ToUpper(trimmed) != trimmed {
		what = append(what, "contains lower-case letters")
	}
	if strings.IndexFunc(trimmed, func(r rune) bool { return !isUpperAlnum(r) && !isLowerASCII(r) }) >= 0 {
		what = append(what, "contains characters other than A–Z and 0–9")
	}
	e := &IntakeError{Reason: ReasonKeyID, Problems: what, Found: "a Key ID that " + strings.Join(what, " and ")}
	if len(id) <= 16 && utf8.ValidString(id) {
		e.Shown = id
	}
	return e
}

// CheckIssuerID checks an Issuer ID: a UUID, in either case. Values are
// expected trimmed. The value is never kept: a wrong one may be a secret
// given to the wrong input.
func CheckIssuerID(id string) error {
	switch trimmed := strings.TrimSpace(id); {
	case isUUID(id):
		return nil
	case id == "":
		return &IntakeError{Reason: ReasonNoIssuerID, Found: "no Issuer ID"}
	case isUUID(trimmed):
		return &IntakeError{Reason: ReasonIssuerIDSpaced, Found: "an Issuer ID with spaces or line breaks around it"}
	case isKeyID(trimmed):
		return &IntakeError{Reason: ReasonIssuerIDTeamID, Found: "an Issuer ID of 10 upper-case letters and digits"}
	case len(trimmed) == 32 && isHex(trimmed):
		return &IntakeError{Reason: ReasonIssuerIDHex, Found: "an Issuer ID of 32 hex digits without dashes"}
	default:
		n := utf8.RuneCountInString(id)
		return &IntakeError{Reason: ReasonIssuerID, N: n, Found: fmt.Sprintf("an Issuer ID of %d characters that is not a UUID", n)}
	}
}

// CheckSwapped reports a Key ID and an Issuer ID given in each other's
// place (a UUID as the Key ID, a 10-character ID as the Issuer ID) as one
// error, rather than one for each input. It returns nil for any other pair,
// which CheckKeyID and CheckIssuerID then judge.
func CheckSwapped(keyID, issuerID string) error {
	if !isUUID(strings.TrimSpace(keyID)) || !isKeyID(strings.TrimSpace(issuerID)) {
		return nil
	}
	return &IntakeError{Reason: ReasonSwapped, Found: "a UUID as the Key ID and a 10-character ID as the Issuer ID"}
}

var authKeyFile = regexp.MustCompile(`^AuthKey_([A-Z0-9]{10})(?: \([0-9]{1,3}\))?\.p8$`)

// KeyIDFromFileName returns the Key ID in the name App Store Connect gives
// a downloaded key, AuthKey_<KEYID>.p8 (also with the " (1)" browsers add
// to a second download).
func KeyIDFromFileName(path string) (string, bool) {
	base := path[strings.LastIndexAny(path, `/\`)+1:]
	m := authKeyFile.FindStringSubmatch(base)
	if m == nil {
		return "", false
	}
	return m[1], true
}

func isKeyID(s string) bool {
	if len(s) != 10 {
		return false
	}
	for _, r := range s {
		if !isUpperAlnum(r) {
			return false
		}
	}
	return true
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := range len(s) {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return false
			}
		default:
			if !isHex(s[i : i+1]) {
				return false
			}
		}
	}
	return true
}

func isHex(s string) bool {
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return s != ""
}

func isUpperAlnum(r rune) bool { return r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' }
func isLowerASCII(r rune) bool { return r >= 'a' && r <= 'z' }
