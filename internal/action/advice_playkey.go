package action

import (
	"strings"

	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// What to do about a refused Play service-account key.
const (
	playGiveFile        = "Give the JSON key file of the service account, or its base64."
	playGiveDownloaded  = "Give the JSON key file as downloaded from Google Cloud (IAM & Admin → Service accounts → Keys), or its base64 (base64 -w0 key.json)."
	playGiveExact       = "Give the JSON key file exactly as downloaded from Google Cloud."
	playSurvives        = "Store the whole JSON key file, or its base64 (base64 -w0 key.json), which survives copying intact."
	playDownloadNew     = "Download a new JSON key for the service account in Google Cloud."
	playDownloadNewFile = "Download a new JSON key for the service account in Google Cloud and store the whole file."
	playCreateKey       = "Create a key for the service account that Play Console uses (Google Cloud → IAM & Admin → Service accounts → Keys → Add key → JSON) and give that file."
)

type playCase struct {
	kind  playkey.Kind
	cause playkey.Cause
}

var playAdvice = map[playCase]string{
	{playkey.KindEmpty, ""}:                           "If it comes from a secret, check the secret's name; GitHub does not pass secrets to workflows run from forks or by Dependabot.",
	{playkey.KindTooLarge, ""}:                        playGiveFile,
	{playkey.KindNotJSON, ""}:                         playGiveDownloaded,
	{playkey.KindNotJSON, playkey.CauseLayers}:        "Give the JSON key file as downloaded, or its base64.",
	{playkey.KindNotJSON, playkey.CauseNothing}:       playGiveFile,
	{playkey.KindNotJSON, playkey.CauseCertPEM}:       "Give the JSON key file downloaded from Google Cloud (IAM & Admin → Service accounts → Keys).",
	{playkey.KindNotJSON, playkey.CausePEM}:           "Give the JSON key file downloaded from Google Cloud (IAM & Admin → Service accounts → Keys), or its base64.",
	{playkey.KindNotJSON, playkey.CauseSyntax}:        "Give the JSON key file exactly as downloaded from Google Cloud, or its base64 (base64 -w0 key.json), which survives copying intact.",
	{playkey.KindASCKey, ""}:                          "Give it in input asc-key (or asc-key-file), and give the Play service account's JSON key file in play-service-account.",
	{playkey.KindASCKey, playkey.CauseInJSON}:         "Give an App Store Connect key in input asc-key (or asc-key-file), and the Play service account's JSON key file, as downloaded, in play-service-account.",
	{playkey.KindBareKey, ""}:                         "Give the whole JSON file Google Cloud downloads (IAM & Admin → Service accounts → Keys → Add key → JSON): it also names the account, the key ID and the token endpoint.",
	{playkey.KindWrongType, ""}:                       playCreateKey,
	{playkey.KindMissingField, ""}:                    "Download a new JSON key for the service account in Google Cloud (IAM & Admin → Service accounts → Keys → Add key → JSON) and store the whole file.",
	{playkey.KindMissingField, playkey.CauseNoType}:   playCreateKey,
	{playkey.KindMissingField, playkey.CauseEmptyKey}: playDownloadNewFile,
	{playkey.KindBadField, ""}:                        playGiveExact,
	{playkey.KindPrivateKey, playkey.CauseNotPEM}:     playDownloadNewFile,
	{playkey.KindPrivateKey, playkey.CauseArmour}:     "Download a new JSON key from Google Cloud.",
	{playkey.KindPrivateKey, playkey.CauseCut}:        playSurvives,
	{playkey.KindPrivateKey, playkey.CauseDamaged}:    strings.TrimSuffix(playSurvives, ".") + "; or download a new key.",
	{playkey.KindPrivateKey, playkey.CauseNotRSAFile}: playDownloadNew,
	{playkey.KindEncrypted, ""}:                       "Store the JSON key file as downloaded.",
	{playkey.KindTokenURI, ""}: "The action refuses it before any request: a crafted key file would otherwise make it send a signed assertion there. " +
		"Only Google's token endpoints and loopback URLs (for local tests) are accepted. Download the key again from Google Cloud.",
}

var playTitles = map[playkey.Kind]string{
	playkey.KindEmpty:        "Play service-account key is empty",
	playkey.KindTooLarge:     "Play service-account key is too large",
	playkey.KindNotJSON:      "Play service-account key is not JSON",
	playkey.KindASCKey:       "App Store Connect key given as Play key",
	playkey.KindBareKey:      "Play private key without its JSON",
	playkey.KindWrongType:    "Not a service-account key",
	playkey.KindMissingField: "Play service-account key is incomplete",
	playkey.KindBadField:     "Play service-account key has a bad field",
	playkey.KindPrivateKey:   "Play private key is unreadable",
	playkey.KindEncrypted:    "Play private key is encrypted",
	playkey.KindTokenURI:     "Untrusted token_uri in Play key",
}

func advisePlayKey(err error) (string, string, bool) {
	e, ok := err.(*playkey.IntakeError)
	if !ok {
		return "", "", false
	}
	title, ok := playTitles[e.Kind]
	if !ok {
		title = "Play service-account key refused"
	}
	msg := upperFirst(e.Found) + "."
	if advice, ok := playAdvice[playCase{e.Kind, e.Cause}]; ok {
		msg += " " + advice
	}
	return title, msg, true
}

// upperFirst starts a sentence with a fact a domain package wrote in lower
// case.
func upperFirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
