package asckey

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

const ascKeysPage = "App Store Connect (Users and Access → Integrations → App Store Connect API)"

// CheckKeyID checks a Key ID: exactly 10 upper-case letters and digits.
// Key IDs are not secret, so a short wrong value is quoted in the error.
// Values are expected trimmed; surrounding whitespace is reported.
func CheckKeyID(id string) error {
	if isKeyID(id) {
		return nil
	}
	if id == "" {
		return &IntakeError{
			Reason: ReasonKeyID,
			title:  "App Store Connect Key ID is missing",
			msg: "No Key ID given: set asc-key-id to the 10-character Key ID shown next to the key in " + ascKeysPage +
				", or pass the key in asc-key-file as a file named AuthKey_<KEYID>.p8.",
		}
	}
	trimmed := strings.TrimSpace(id)
	if isUUID(trimmed) {
		return &IntakeError{
			Reason: ReasonKeyID,
			title:  "Key ID looks like an Issuer ID",
			msg: "The Key ID given is a UUID: this looks like the Issuer ID; the Key ID is the 10-character ID " +
				"next to the key in " + ascKeysPage + ".",
		}
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
	shown := ""
	if len(id) <= 16 && utf8.ValidString(id) {
		shown = fmt.Sprintf(" %q", id)
	}
	return &IntakeError{
		Reason: ReasonKeyID,
		title:  "App Store Connect Key ID is invalid",
		msg: fmt.Sprintf("The Key ID%s %s; a Key ID is exactly 10 upper-case letters and digits (like 2X9R4HXF34), "+
			"as shown next to the key in %s.", shown, strings.Join(what, " and "), ascKeysPage),
	}
}

// CheckIssuerID checks an Issuer ID: a UUID, in either case. Values are
// expected trimmed. The value is never quoted: a wrong one may be a secret
// given to the wrong input.
func CheckIssuerID(id string) error {
	where := "shown above the Team Keys list in " + ascKeysPage
	switch trimmed := strings.TrimSpace(id); {
	case isUUID(id):
		return nil
	case id == "":
		return &IntakeError{
			Reason: ReasonNoIssuerID,
			title:  "App Store Connect Issuer ID is missing",
			msg: "No Issuer ID given: mos. supports App Store Connect team keys only, which need the Issuer ID " +
				where + ". Set asc-issuer-id to it (individual keys have no Issuer ID and cannot be used).",
		}
	case isUUID(trimmed):
		return &IntakeError{
			Reason: ReasonIssuerID,
			title:  "App Store Connect Issuer ID is invalid",
			msg:    "The Issuer ID given has spaces or line breaks around it; give the UUID alone, as " + where + ".",
		}
	case isKeyID(trimmed):
		return &IntakeError{
			Reason: ReasonIssuerID,
			title:  "Issuer ID looks like a Team ID",
			msg: "The Issuer ID given is 10 upper-case letters and digits: this looks like a Team ID (or Key ID), " +
				"not the Issuer ID. The Issuer ID is a UUID (like 57246542-96fe-1a63-e053-0824d011072a) " + where + ".",
		}
	case len(trimmed) == 32 && isHex(trimmed):
		return &IntakeError{
			Reason: ReasonIssuerID,
			title:  "App Store Connect Issuer ID is invalid",
			msg:    "The Issuer ID given is 32 hex digits without dashes; give it with its dashes (8-4-4-4-12), as " + where + ".",
		}
	default:
		return &IntakeError{
			Reason: ReasonIssuerID,
			title:  "App Store Connect Issuer ID is invalid",
			msg: fmt.Sprintf("The Issuer ID given (%d characters) is not a UUID; the Issuer ID looks like "+
				"57246542-96fe-1a63-e053-0824d011072a and is %s.", utf8.RuneCountInString(id), where),
		}
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
	return &IntakeError{
		Reason: ReasonSwapped,
		title:  "Key ID and Issuer ID swapped",
		msg: "asc-key-id is a UUID and asc-issuer-id a 10-character ID: the two look swapped. " +
			"Give the 10-character Key ID (the <ID> of AuthKey_<ID>.p8) in asc-key-id and the Issuer ID, a UUID " +
			"shown above the Team Keys list in " + ascKeysPage + ", in asc-issuer-id.",
	}
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
