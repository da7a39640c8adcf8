package action

import (
	"fmt"
	"strings"

	"github.com/mos-tools/publisher-keys/internal/play"
)

// What to do when Google Play or Google's sign-in failed.
const (
	playRunLater    = "Run again later."
	playGoogleSide  = "This is on Google's side; run again later."
	playNetwork     = "Check the runner's network and run again."
	playOutOfTime   = "Run again, or raise input timeout."
	playCheckAPIURL = "Check input play-api-url, or run again later."
	playInvite      = "Invite the service account in Play Console → Users and permissions; grants can take 24–36 hours to take effect."
)

var playAPIAdvice = map[play.APIErrorKind]string{
	play.APIPackageNotFound: "Check the package name and that the app belongs to the developer account that invited the service account; " +
		"a new app needs its first build uploaded by hand in Play Console before the API can see it.",
	play.APIPermissionDenied: "Invite it in Play Console → Users and permissions and give it access to this app with the release permissions; " +
		"new grants can take 24–36 hours to take effect.",
	play.APIProjectNotLinked:  playInvite,
	play.APIDisabled:          "Enable it at {enable}, wait a few minutes, and run again.",
	play.APIUnauthenticated:   "Run again; if it persists, create a new JSON key.",
	play.APIScopeInsufficient: "Run again; if it persists, check the organisation policies of the Cloud project.",
	play.APIRateLimited:       playRunLater,
	play.APIUnavailable:       playGoogleSide,
	play.APIRedirect:          "Check input play-api-url.",
	play.APIMalformed:         playCheckAPIURL,
	play.APINetwork:           playNetwork,
	play.APITimeout:           playOutOfTime,
}

var playAPITitles = map[play.APIErrorKind]string{
	play.APIPackageNotFound:   "Play package not found: {package}",
	play.APIPermissionDenied:  "No Play Console access to {package}",
	play.APIProjectNotLinked:  "No Play Console access to {package}",
	play.APIDisabled:          "Google Play Android Developer API disabled",
	play.APIUnauthenticated:   "Google Play refused the access token",
	play.APIScopeInsufficient: "Google Play refused the access token",
	play.APIRateLimited:       "Google Play rate limit",
	play.APIUnavailable:       "Google Play unavailable",
	play.APINetwork:           "Google Play unreachable",
	play.APITimeout:           "Google Play unreachable",
}

// playFill puts the package and the page that enables the API into a
// title or advice.
func playFill(s string, e *play.APIError) string {
	return strings.NewReplacer("{package}", e.Package, "{enable}", play.EnableURL(e.ProjectNumber)).Replace(s)
}

var playTokenAdvice = map[play.TokenErrorKind]string{
	play.TokenKeyInvalid: "Create a new JSON key (Google Cloud → IAM & Admin → Service accounts → {email} → Keys → Add key) and update the secret.",
	play.TokenAccountNotFound: "Create a service account and a JSON key again, " +
		"invite it in Play Console → Users and permissions, and update the secret.",
	play.TokenClockSkew:   "Fix the runner's clock (NTP) and run again.",
	play.TokenKeyDisabled: "Enable it (IAM & Admin → Service accounts → Keys) or create a new JSON key and update the secret.",
	play.TokenClientNotAllowed: "Check in Google Cloud (IAM & Admin → Service accounts) that the account exists and is enabled " +
		"and that the JSON key belongs to it.",
	play.TokenScopeRefused: "Check the organisation policies of the Cloud project.",
	play.TokenUnavailable:  playGoogleSide,
	play.TokenRedirect:     "",
	play.TokenMalformed:    playRunLater,
	play.TokenNetwork:      playNetwork,
	play.TokenTimeout:      playOutOfTime,
}

var playTokenTitles = map[play.TokenErrorKind]string{
	play.TokenKeyInvalid:       "Play key deleted or rotated",
	play.TokenAccountNotFound:  "Play service account not found",
	play.TokenClockSkew:        "Clock skew in Google sign-in",
	play.TokenKeyDisabled:      "Play key disabled",
	play.TokenClientNotAllowed: "Play service account refused",
	play.TokenScopeRefused:     "Play API scope refused",
	play.TokenUnavailable:      "Google sign-in unavailable",
	play.TokenNetwork:          "Google sign-in unreachable",
	play.TokenTimeout:          "Google sign-in unreachable",
}

// adviseGooglePlay words the errors of the Google Play check.
func adviseGooglePlay(err error) (string, string, bool) {
	switch e := err.(type) {
	case *play.APIError:
		title, ok := playAPITitles[e.Kind]
		if !ok {
			title = "Google Play check failed for {package}"
		}
		advice, ok := playAPIAdvice[e.Kind]
		if !ok {
			advice = "Run again later; if it persists, check input play-package-names and the app in Play Console."
		}
		return playFill(title, e), sentence(e.Error(), playFill(advice, e)), true
	case *play.TokenError:
		title, ok := playTokenTitles[e.Kind]
		if !ok {
			title = "Google sign-in failed"
		}
		return title, sentence(e.Error(), playTokenFix(e)), true
	case *play.PackageNameError:
		return "Invalid Play package name",
			fmt.Sprintf("Input play-package-names holds %q, which is not an Android package name (%s). "+
				"Give the application IDs as shown in Play Console.", e.Package, play.PackageNameShape), true
	}
	return "", "", false
}

func playTokenFix(e *play.TokenError) string {
	if e.KeyGone() {
		return fmt.Sprintf("Create a new JSON key for service account %s (Google Cloud → IAM & Admin → Service accounts → %s → Keys → Add key), "+
			"store it in the secret, and run this action again: it uploads the new key to mos.portal.", e.ClientEmail, e.ClientEmail)
	}
	if advice, ok := playTokenAdvice[e.Kind]; ok {
		return strings.ReplaceAll(advice, "{email}", e.ClientEmail)
	}
	return "Check that the JSON key file is complete and current."
}

// sentence ends a fact and adds what to do, if anything.
func sentence(fact, advice string) string {
	msg := upperFirst(fact) + "."
	if advice != "" {
		msg += " " + advice
	}
	return msg
}
