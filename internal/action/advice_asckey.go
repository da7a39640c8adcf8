package action

import (
	"fmt"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/asckey"
)

// ascKeysPage is where App Store Connect shows keys and the Issuer ID.
const ascKeysPage = "App Store Connect (Users and Access → Integrations → App Store Connect API)"

// ascStoreHint ends every message about a damaged key.
const ascStoreHint = "Store the file exactly as downloaded, e.g. `gh secret set ASC_KEY < AuthKey_XXXXXXXXXX.p8`, " +
	"or pass its path in asc-key-file."

// ascDownloadHint ends every message about a value that is not an App
// Store Connect key at all.
const ascDownloadHint = "App Store Connect API keys are ECDSA P-256 private keys, downloaded once as AuthKey_XXXXXXXXXX.p8 " +
	"from App Store Connect (Users and Access → Integrations → App Store Connect API); store that file as it is."

const ascIssuerWhere = "shown above the Team Keys list in " + ascKeysPage

func adviseASCKey(err error) (string, string, bool) {
	e, ok := err.(*asckey.IntakeError)
	if !ok {
		return "", "", false
	}
	advise, ok := ascAdvice[e.Reason]
	if !ok {
		return "", "", false
	}
	title, msg := advise(e)
	return title, msg, true
}

type ascAdvise func(e *asckey.IntakeError) (title, msg string)

// found is the message that starts with what was found.
func found(e *asckey.IntakeError) string { return "Found " + e.Found }

var ascAdvice = map[asckey.Reason]ascAdvise{
	asckey.ReasonEmpty: func(*asckey.IntakeError) (string, string) {
		return "App Store Connect key is empty",
			"The App Store Connect key is empty. GitHub does not pass secrets to workflows triggered from forks " +
				"or by Dependabot; otherwise check that the secret name used in the workflow " +
				"(e.g. `asc-key: ${{ secrets.ASC_KEY }}`) matches the repository or organisation secret."
	},
	asckey.ReasonTooLarge: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is too large",
			fmt.Sprintf("The App Store Connect key is %d bytes; a .p8 key is about 250 bytes, so this is something else. %s",
				e.N, ascDownloadHint)
	},
	asckey.ReasonRSA: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is an RSA key",
			found(e) + ", not an App Store Connect key (a Google service-account key belongs in " +
				"play-service-account). " + ascDownloadHint
	},
	asckey.ReasonOtherKeyType: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is " + strings.TrimSuffix(e.Found, "private key") + "key",
			found(e) + ", not an App Store Connect key. " + ascDownloadHint
	},
	asckey.ReasonCurve: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key uses curve " + e.Name,
			found(e) + "; App Store Connect keys use P-256 (prime256v1), " +
				"so this is not a key from App Store Connect. " + ascDownloadHint
	},
	asckey.ReasonCurveExplicit: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key has explicit curve parameters",
			found(e) + "; keys from App Store Connect never look like this. " + ascDownloadHint
	},
	asckey.ReasonCurveMissing: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key does not name its curve",
			found(e) + "; keys from App Store Connect are PKCS#8 and name P-256. " + ascDownloadHint
	},
	asckey.ReasonEncrypted: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is encrypted",
			found(e) + "; the action needs the key unencrypted. Keys downloaded from App Store Connect " +
				"are never encrypted: store the AuthKey_XXXXXXXXXX.p8 file as downloaded, or export this one " +
				"unencrypted (`openssl pkey -in encrypted.pem -out AuthKey_XXXXXXXXXX.p8`)."
	},
	asckey.ReasonCorrupt: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is truncated or corrupt",
			found(e) + ". The secret was probably cut or mangled when it was pasted. " + ascStoreHint
	},
	asckey.ReasonPublicKey: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is a public key",
			found(e) + "; the action needs the private key .p8 you downloaded from App Store Connect " +
				"(AuthKey_XXXXXXXXXX.p8). " + ascStoreHint
	},
	asckey.ReasonCertificate: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is a " + e.Name,
			found(e) + "; the action needs the private key .p8 you downloaded from App Store Connect " +
				"(AuthKey_XXXXXXXXXX.p8), not a signing certificate. " + ascStoreHint
	},
	asckey.ReasonServiceAccount: func(e *asckey.IntakeError) (string, string) {
		return "Google service account given as App Store Connect key",
			found(e) + " where the App Store Connect key belongs; pass it in input " +
				"play-service-account instead, and put the App Store Connect .p8 key in asc-key."
	},
	asckey.ReasonFastlane: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key is a fastlane JSON",
			found(e) + "; give its parts separately: the value of " +
				"\"key\" (the .p8) in asc-key, key_id in asc-key-id and issuer_id in asc-issuer-id."
	},
	asckey.ReasonMultipleKeys: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key holds several keys",
			found(e) + " in one value; the action needs exactly one, " +
				"the AuthKey_XXXXXXXXXX.p8 of the Key ID given. " + ascStoreHint
	},
	asckey.ReasonUnrecognised: ascLooksLike(ascDownloadHint),
	asckey.ReasonIssuerIDAsKey: ascLooksLike(
		"Put the Issuer ID in asc-issuer-id and the content of the AuthKey_XXXXXXXXXX.p8 file in asc-key."),
	asckey.ReasonKeyIDAsKey: ascLooksLike(
		"Put the Key ID in asc-key-id and the content of the AuthKey_XXXXXXXXXX.p8 file in asc-key."),
	asckey.ReasonFileName: ascLooksLike("Give the content of the .p8 file in asc-key, or its path in asc-key-file."),

	asckey.ReasonNoKeyID: func(*asckey.IntakeError) (string, string) {
		return "App Store Connect Key ID is missing",
			"No Key ID given: set asc-key-id to the 10-character Key ID shown next to the key in " + ascKeysPage +
				", or pass the key in asc-key-file as a file named AuthKey_<KEYID>.p8."
	},
	asckey.ReasonKeyIDIsUUID: func(*asckey.IntakeError) (string, string) {
		return "Key ID looks like an Issuer ID",
			"The Key ID given is a UUID: this looks like the Issuer ID; the Key ID is the 10-character ID " +
				"next to the key in " + ascKeysPage + "."
	},
	asckey.ReasonKeyID: func(e *asckey.IntakeError) (string, string) {
		shown := ""
		if e.Shown != "" {
			shown = fmt.Sprintf(" %q", e.Shown)
		}
		return "App Store Connect Key ID is invalid",
			fmt.Sprintf("The Key ID%s %s; a Key ID is exactly 10 upper-case letters and digits (like 2X9R4HXF34), "+
				"as shown next to the key in %s.", shown, strings.Join(e.Problems, " and "), ascKeysPage)
	},
	asckey.ReasonNoIssuerID: func(*asckey.IntakeError) (string, string) {
		return "App Store Connect Issuer ID is missing",
			"No Issuer ID given: mos. supports App Store Connect team keys only, which need the Issuer ID " +
				ascIssuerWhere + ". Set asc-issuer-id to it (individual keys have no Issuer ID and cannot be used)."
	},
	asckey.ReasonIssuerIDSpaced: func(*asckey.IntakeError) (string, string) {
		return "App Store Connect Issuer ID is invalid",
			"The Issuer ID given has spaces or line breaks around it; give the UUID alone, as " + ascIssuerWhere + "."
	},
	asckey.ReasonIssuerIDTeamID: func(*asckey.IntakeError) (string, string) {
		return "Issuer ID looks like a Team ID",
			"The Issuer ID given is 10 upper-case letters and digits: this looks like a Team ID (or Key ID), " +
				"not the Issuer ID. The Issuer ID is a UUID (like 57246542-96fe-1a63-e053-0824d011072a) " + ascIssuerWhere + "."
	},
	asckey.ReasonIssuerIDHex: func(*asckey.IntakeError) (string, string) {
		return "App Store Connect Issuer ID is invalid",
			"The Issuer ID given is 32 hex digits without dashes; give it with its dashes (8-4-4-4-12), as " + ascIssuerWhere + "."
	},
	asckey.ReasonIssuerID: func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect Issuer ID is invalid",
			fmt.Sprintf("The Issuer ID given (%d characters) is not a UUID; the Issuer ID looks like "+
				"57246542-96fe-1a63-e053-0824d011072a and is %s.", e.N, ascIssuerWhere)
	},
	asckey.ReasonSwapped: func(*asckey.IntakeError) (string, string) {
		return "Key ID and Issuer ID swapped",
			"asc-key-id is a UUID and asc-issuer-id a 10-character ID: the two look swapped. " +
				"Give the 10-character Key ID (the <ID> of AuthKey_<ID>.p8) in asc-key-id and the Issuer ID, a UUID " +
				ascIssuerWhere + ", in asc-issuer-id."
	},
}

// ascLooksLike: the key is something else; next says what to do.
func ascLooksLike(next string) ascAdvise {
	return func(e *asckey.IntakeError) (string, string) {
		return "App Store Connect key not recognised", found(e) + ". " + next
	}
}
