package action

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mos-tools/publisher-keys/internal/appstore"
)

// adviseAppStore words the errors of the App Store Connect check: what the
// answer means for the key, and what to do.
func adviseAppStore(err error) (string, string, bool) {
	switch e := err.(type) {
	case *appstore.AgreementError:
		return fmt.Sprintf("App Store Connect agreement not accepted (%d %s)", e.API.Status, e.Code), agreementAdvice(e), true
	case *appstore.IndividualKeyError:
		return "Individual API key, not a team key", individualAdvice(e), true
	case *appstore.ClockError:
		return "Runner's clock is off", clockAdvice(e), true
	case *appstore.APIError:
		title, msg := appleAPIAdvice(e)
		return title, msg, true
	case *appstore.BundleIDsNotVisibleError:
		return "Bundle ID not visible to the App Store Connect key", hiddenAdvice(e), true
	case *appstore.BundleIDError:
		return "Invalid asc-bundle-ids", fmt.Sprintf("input asc-bundle-ids has %q, which %s; "+
			"give bundle IDs such as com.example.app, separated by commas or newlines", e.Shown(), e.Reason), true
	case *appstore.NetworkError:
		return "Could not reach App Store Connect",
			fmt.Sprintf("could not reach App Store Connect at %s: %s", e.Host, appleNetAdvice(e)), true
	case *appstore.ResponseError:
		return "Unexpected answer from App Store Connect",
			fmt.Sprintf("App Store Connect answered %d with %s; check that asc-api-url points at App Store Connect "+
				"(normally https://api.appstoreconnect.apple.com), else re-run the workflow later", e.Status, e.Problem), true
	}
	return "", "", false
}

func appleAPIAdvice(e *appstore.APIError) (title, msg string) {
	apple := e.Apple()
	switch {
	case e.Status == http.StatusUnauthorized:
		// The likely causes lead, most likely first, in one sentence; the
		// clock and an individual key were ruled out before this is shown.
		return fmt.Sprintf("App Store Connect rejected the key (%s)", e.StatusCode("NOT_AUTHORIZED")),
			fmt.Sprintf("App Store Connect rejected key %s with Issuer ID %s (%s): most likely the Key ID is not this key's "+
				"(compare it with the AuthKey_<ID>.p8 file name), else the Issuer ID is another team's or the key was revoked. %s",
				e.KeyID, e.IssuerID, e.StatusCode("NOT_AUTHORIZED"), upperFirst(apple))
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("The key's role lacks access (%s)", e.StatusCode("FORBIDDEN_ERROR")),
			fmt.Sprintf("App Store Connect accepted key %s but its role lacks access (%s); %s. "+
				"mos.publisher needs a team key with the App Manager or Admin role: generate one in "+
				"Users and Access → Integrations → Team Keys (a key's role cannot be changed after it is created) and store it in the secrets",
				e.KeyID, e.StatusCode("FORBIDDEN_ERROR"), apple)
	case e.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("App Store Connect rate limit reached (%s)", e.StatusCode("RATE_LIMIT_EXCEEDED")),
			fmt.Sprintf("%s. The limit counts requests per key over a rolling hour: "+
				"re-run the workflow later or slow down other automation that uses this key", e.Error())
	case e.Status >= 500:
		return fmt.Sprintf("App Store Connect unavailable (%d)", e.Status),
			fmt.Sprintf("%s. This is on Apple's side and says nothing about the key: "+
				"re-run the workflow later (see https://developer.apple.com/system-status/)", e.Error())
	case e.Status >= 300 && e.Status < 400:
		return fmt.Sprintf("App Store Connect redirected the request (%d)", e.Status),
			fmt.Sprintf("App Store Connect answered with a redirect (%d), which the action never follows so that the token goes nowhere else; "+
				"check asc-api-url (normally https://api.appstoreconnect.apple.com, without a path)", e.Status)
	default:
		return fmt.Sprintf("App Store Connect refused the request (%s)", e.StatusCode("")),
			fmt.Sprintf("%s. Check asc-api-url (normally https://api.appstoreconnect.apple.com) and asc-bundle-ids; "+
				"if they are right, Apple's message above says what else to fix", e.Error())
	}
}

func agreementAdvice(e *appstore.AgreementError) string {
	// The remedy first: on the morning an agreement lapses, this is the one
	// line every release engineer of the team reads.
	return fmt.Sprintf("Nothing is wrong with the key: App Store Connect accepted key %s, but answers every request of its team "+
		"(Issuer ID %s) with %d %s until the team's Account Holder accepts Apple's updated agreement. "+
		"The Account Holder (no other user of the team can) must accept it in App Store Connect → Business "+
		"(https://appstoreconnect.apple.com/business) and, for the Apple Developer Program License Agreement, "+
		"at https://developer.apple.com/account; then re-run the workflow. %s",
		e.API.KeyID, e.API.IssuerID, e.API.Status, e.Code, e.API.Apple())
}

func individualAdvice(e *appstore.IndividualKeyError) string {
	return fmt.Sprintf("Key %s is an individual API key: App Store Connect accepts it with an individual key's token "+
		"and refuses it as a team key (%s). mos.publisher needs a team key: an Admin generates one in "+
		"Users and Access → Integrations → App Store Connect API → Team Keys; give it in asc-key, "+
		"its Key ID in asc-key-id and the Issuer ID shown above that list in asc-issuer-id. Nothing is uploaded.",
		e.KeyID, e.API.StatusCode("NOT_AUTHORIZED"))
}

func clockAdvice(e *appstore.ClockError) string {
	why := "so the token had expired by Apple's clock"
	if e.Offset < 0 {
		why = "so the token was issued in the future by Apple's clock"
	}
	return fmt.Sprintf("The runner's clock is %s %s App Store Connect's (its answer was dated %s), %s; "+
		"App Store Connect refused the token for its times alone, so key %s was not judged. "+
		"Set the runner's clock right (NTP) and re-run the workflow.",
		e.Amount(), e.Direction(), e.AppleTime.UTC().Format(time.RFC3339), why, e.KeyID)
}

func hiddenAdvice(e *appstore.BundleIDsNotVisibleError) string {
	if e.NoneVisible {
		return fmt.Sprintf("the key %s can see none of the apps asked for (%s %s); check the spelling, "+
			"that the apps exist in this team's App Store Connect account and not in another team's, "+
			"and that the team's Account Holder has accepted Apple's updated agreements: one not accepted can hide every app from the API "+
			"(App Store Connect → Business, https://appstoreconnect.apple.com/business)",
			e.KeyID, e.Noun(), strings.Join(e.Missing, ", "))
	}
	return fmt.Sprintf("the key %s can see no app with %s %s; check the spelling or that the app exists in this team's App Store Connect account",
		e.KeyID, e.Noun(), strings.Join(e.Missing, ", "))
}

// appleNetWhy says what a failure to reach App Store Connect likely means.
var appleNetWhy = map[appstore.NetCause]string{
	appstore.NetDeadline:  "no answer came before the run's timeout; a proxy or firewall that drops outbound HTTPS is likely, or App Store Connect is very slow: check the runner's network or raise the timeout input",
	appstore.NetCancelled: "the run was cancelled before App Store Connect answered",
	appstore.NetNoHost:    "the host name does not resolve; a typo in asc-api-url is likely (normally https://api.appstoreconnect.apple.com)",
	appstore.NetDNS:       "the DNS lookup failed; the runner's DNS or network is likely at fault: re-run the workflow later",
	appstore.NetRefused:   "the connection was refused; a wrong host or port in asc-api-url, or a firewall, is likely",
	appstore.NetTLS:       "its TLS certificate is not trusted; a TLS-inspecting proxy or a wrong asc-api-url is likely",
	appstore.NetDropped:   "the connection was dropped before the answer was complete, even after retries; a proxy or load balancer cutting connections is likely: re-run the workflow later",
	appstore.NetTimeout:   "the connection timed out even after retries; a proxy or firewall that blocks outbound HTTPS is likely",
}

func appleNetAdvice(e *appstore.NetworkError) string {
	if why, ok := appleNetWhy[e.Cause()]; ok {
		return why
	}
	return fmt.Sprintf("the connection failed even after retries (%s); a proxy or firewall, or a typo in asc-api-url, is likely", e.Detail())
}
