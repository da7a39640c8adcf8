package appstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	cleaner "github.com/mos-tools/publisher-keys/internal/redact"
)

// ErrorObject is one entry of the errors array in Apple's JSON:API error
// body. Apple documents these fields as free of secrets, so they go into
// messages as they are (cleaned of control characters and cut to length).
type ErrorObject struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Code   string `json:"code"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
}

// APIError is an answer from App Store Connect other than success: a 4xx,
// a 5xx or 429 that outlasted the retries, or a redirect (never followed).
// Status 401 and 403 mean the key itself failed the check; 429 and 5xx say
// nothing about the key. A 403 about agreements is an *AgreementError
// instead, which says nothing against the key either.
type APIError struct {
	Status    int
	Errors    []ErrorObject
	RateLimit string // the X-Rate-Limit header, e.g. "user-hour-lim:3500;user-hour-rem:0;"
	KeyID     string
	IssuerID  string
	// Date is the answer's Date header, zero if it had none: Apple's clock,
	// which judged the token.
	Date time.Time
}

// Title is the short headline of the annotation.
func (e *APIError) Title() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("App Store Connect rejected the key (%s)", e.statusCode("NOT_AUTHORIZED"))
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("The key's role lacks access (%s)", e.statusCode("FORBIDDEN_ERROR"))
	case e.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("App Store Connect rate limit reached (%s)", e.statusCode("RATE_LIMIT_EXCEEDED"))
	case e.Status >= 500:
		return fmt.Sprintf("App Store Connect unavailable (%d)", e.Status)
	case e.Status >= 300 && e.Status < 400:
		return fmt.Sprintf("App Store Connect redirected the request (%d)", e.Status)
	default:
		return fmt.Sprintf("App Store Connect refused the request (%s)", e.statusCode(""))
	}
}

func (e *APIError) Error() string {
	apple := e.apple()
	switch {
	case e.Status == http.StatusUnauthorized:
		// The likely causes lead, most likely first, in one sentence; the
		// clock and an individual key were ruled out before this is shown
		// (see Client.explain401).
		return fmt.Sprintf("App Store Connect rejected key %s with Issuer ID %s (%s): most likely the Key ID is not this key's "+
			"(compare it with the AuthKey_<ID>.p8 file name), else the Issuer ID is another team's or the key was revoked. %s%s",
			e.KeyID, e.IssuerID, e.statusCode("NOT_AUTHORIZED"), strings.ToUpper(apple[:1]), apple[1:])
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("App Store Connect accepted key %s but its role lacks access (%s); %s. "+
			"mos.publisher needs a team key with the App Manager or Admin role: generate one in "+
			"Users and Access → Integrations → Team Keys (a key's role cannot be changed after it is created) and store it in the secrets",
			e.KeyID, e.statusCode("FORBIDDEN_ERROR"), apple)
	case e.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("App Store Connect rate-limited key %s (%s) and still did after retries; %s; %s. "+
			"The limit counts requests per key over a rolling hour: re-run the workflow later or slow down other automation that uses this key",
			e.KeyID, e.statusCode("RATE_LIMIT_EXCEEDED"), e.rateLimitText(), apple)
	case e.Status >= 500:
		return fmt.Sprintf("App Store Connect is unavailable (%d) and still was after retries; %s. "+
			"This is on Apple's side and says nothing about the key: re-run the workflow later (see https://developer.apple.com/system-status/)",
			e.Status, apple)
	case e.Status >= 300 && e.Status < 400:
		return fmt.Sprintf("App Store Connect answered with a redirect (%d), which the action never follows so that the token goes nowhere else; "+
			"check asc-api-url (normally https://api.appstoreconnect.apple.com, without a path)", e.Status)
	default:
		return fmt.Sprintf("App Store Connect refused GET /v1/apps (%s); %s. "+
			"Check asc-api-url (normally https://api.appstoreconnect.apple.com) and asc-bundle-ids; if they are right, Apple's message above says what else to fix",
			e.statusCode(""), apple)
	}
}

// agreementCodePrefix starts the codes of Apple's 403 for a team whose
// Account Holder has not accepted an agreement in effect, such as
// FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED.
const agreementCodePrefix = "FORBIDDEN.REQUIRED_AGREEMENTS_"

// classify turns a non-2xx answer into the error that explains it: by HTTP
// status first, by Apple's errors[].code second. It is an *AgreementError
// for a 403 with an agreement code in any of its errors, else an *APIError.
func classify(e *APIError) error {
	if e.Status == http.StatusForbidden {
		for _, o := range e.Errors {
			if strings.HasPrefix(o.Code, agreementCodePrefix) {
				return &AgreementError{API: e, Code: clean(o.Code, 80)}
			}
		}
	}
	return e
}

// AgreementError reports a 403 whose code is one of
// FORBIDDEN.REQUIRED_AGREEMENTS_*: the key authenticated, but App Store
// Connect refuses (nearly) every request of its team until the team's
// Account Holder accepts an agreement Apple updated (the Program License
// Agreement, about twice a year). Nothing is wrong with the key, and no
// other key of the team would fare better; no endpoint reports agreement
// state, so this code is the only signal.
type AgreementError struct {
	API  *APIError
	Code string // the agreement code, e.g. FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED
}

func (e *AgreementError) Title() string {
	return fmt.Sprintf("App Store Connect agreement not accepted (%d %s)", e.API.Status, e.Code)
}

func (e *AgreementError) Unwrap() error { return e.API }

func (e *AgreementError) Error() string {
	// The remedy first: on the morning an agreement lapses, this is the one
	// line every release engineer of the team reads.
	return fmt.Sprintf("Nothing is wrong with the key: App Store Connect accepted key %s, but answers every request of its team "+
		"(Issuer ID %s) with %d %s until the team's Account Holder accepts Apple's updated agreement. "+
		"The Account Holder (no other user of the team can) must accept it in App Store Connect → Business "+
		"(https://appstoreconnect.apple.com/business) and, for the Apple Developer Program License Agreement, "+
		"at https://developer.apple.com/account; then re-run the workflow. %s",
		e.API.KeyID, e.API.IssuerID, e.API.Status, e.Code, e.API.apple())
}

// statusCode renders "401 NOT_AUTHORIZED": the status and Apple's first
// error code, or fallback when Apple sent none.
func (e *APIError) statusCode(fallback string) string {
	code := fallback
	if len(e.Errors) > 0 && e.Errors[0].Code != "" {
		code = clean(e.Errors[0].Code, 80)
	}
	if code == "" {
		return fmt.Sprint(e.Status)
	}
	return fmt.Sprintf("%d %s", e.Status, code)
}

// maxShownErrors bounds how many of Apple's errors go into a message.
const maxShownErrors = 3

// apple renders Apple's errors[] as `Apple says: CODE "title" (detail)`.
func (e *APIError) apple() string {
	if len(e.Errors) == 0 {
		return "the response carried no error details"
	}
	var parts []string
	for i, o := range e.Errors {
		if i == maxShownErrors {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Errors)-i))
			break
		}
		var b strings.Builder
		b.WriteString(clean(o.Code, 80))
		if t := clean(o.Title, 200); t != "" {
			fmt.Fprintf(&b, " %q", t)
		}
		if d := clean(o.Detail, 300); d != "" {
			fmt.Fprintf(&b, " (%s)", d)
		}
		parts = append(parts, strings.TrimSpace(b.String()))
	}
	return "Apple says: " + strings.Join(parts, "; ")
}

// rateLimitText explains the X-Rate-Limit header, whose form is
// "user-hour-lim:3500;user-hour-rem:0;".
func (e *APIError) rateLimitText() string {
	if e.RateLimit == "" {
		return "no X-Rate-Limit header was sent"
	}
	var lim, rem string
	for _, field := range strings.Split(e.RateLimit, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(field), ":")
		switch name {
		case "user-hour-lim":
			lim = value
		case "user-hour-rem":
			rem = value
		}
	}
	header := "X-Rate-Limit: " + clean(e.RateLimit, 120)
	switch {
	case rem == "":
		return header
	case lim == "":
		return fmt.Sprintf("%s requests remaining this hour (%s)", clean(rem, 12), header)
	default:
		return fmt.Sprintf("%s of %s requests remaining this hour (%s)", clean(rem, 12), clean(lim, 12), header)
	}
}

// BundleIDsNotVisibleError reports bundle IDs for which the key sees no app.
// The key itself authenticated.
type BundleIDsNotVisibleError struct {
	Missing []string
	KeyID   string
	// NoneVisible says the key sees none of the bundle IDs asked for, as when
	// an agreement the Account Holder has not accepted hides every app.
	NoneVisible bool
}

func (e *BundleIDsNotVisibleError) Title() string {
	return "Bundle ID not visible to the App Store Connect key"
}

func (e *BundleIDsNotVisibleError) Error() string {
	noun := "bundle ID"
	if len(e.Missing) > 1 {
		noun = "bundle IDs"
	}
	if e.NoneVisible {
		return fmt.Sprintf("the key %s can see none of the apps asked for (%s %s); check the spelling, "+
			"that the apps exist in this team's App Store Connect account and not in another team's, "+
			"and that the team's Account Holder has accepted Apple's updated agreements: one not accepted can hide every app from the API "+
			"(App Store Connect → Business, https://appstoreconnect.apple.com/business)",
			e.KeyID, noun, strings.Join(e.Missing, ", "))
	}
	return fmt.Sprintf("the key %s can see no app with %s %s; check the spelling or that the app exists in this team's App Store Connect account",
		e.KeyID, noun, strings.Join(e.Missing, ", "))
}

// BundleIDError reports a value of asc-bundle-ids that cannot be a bundle ID.
type BundleIDError struct {
	ID     string
	Reason string
}

func (e *BundleIDError) Title() string { return "Invalid asc-bundle-ids" }

func (e *BundleIDError) Error() string {
	return fmt.Sprintf("input asc-bundle-ids has %q, which %s; give bundle IDs such as com.example.app, separated by commas or newlines",
		clean(e.ID, 60), e.Reason)
}

// NetworkError reports that App Store Connect could not be reached at all,
// after retries. It says nothing about the key.
type NetworkError struct {
	Host string
	Err  error
}

func (e *NetworkError) Title() string { return "Could not reach App Store Connect" }

func (e *NetworkError) Unwrap() error { return e.Err }

func (e *NetworkError) Error() string {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		unknown x509.UnknownAuthorityError
		verify  *tls.CertificateVerificationError
		hostErr x509.HostnameError
	)
	var why string
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		why = "no answer came before the run's timeout; a proxy or firewall that drops outbound HTTPS is likely, or App Store Connect is very slow: check the runner's network or raise the timeout input"
	case errors.Is(e.Err, context.Canceled):
		why = "the run was cancelled before App Store Connect answered"
	case errors.As(e.Err, &dnsErr) && dnsErr.IsNotFound:
		why = "the host name does not resolve; a typo in asc-api-url is likely (normally https://api.appstoreconnect.apple.com)"
	case errors.As(e.Err, &dnsErr):
		why = "the DNS lookup failed; the runner's DNS or network is likely at fault: re-run the workflow later"
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		why = "the connection was refused; a wrong host or port in asc-api-url, or a firewall, is likely"
	case errors.As(e.Err, &unknown), errors.As(e.Err, &verify), errors.As(e.Err, &hostErr):
		why = "its TLS certificate is not trusted; a TLS-inspecting proxy or a wrong asc-api-url is likely"
	case errors.Is(e.Err, io.ErrUnexpectedEOF), errors.Is(e.Err, io.EOF), errors.Is(e.Err, syscall.ECONNRESET):
		why = "the connection was dropped before the answer was complete, even after retries; a proxy or load balancer cutting connections is likely: re-run the workflow later"
	case errors.As(e.Err, &netErr) && netErr.Timeout():
		why = "the connection timed out even after retries; a proxy or firewall that blocks outbound HTTPS is likely"
	default:
		why = fmt.Sprintf("the connection failed even after retries (%s); a proxy or firewall, or a typo in asc-api-url, is likely", cause(e.Err))
	}
	return fmt.Sprintf("could not reach App Store Connect at %s: %s", e.Host, why)
}

// cause is the innermost useful text of a transport error, without the
// request URL that *url.Error adds.
func cause(err error) string {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return clean(err.Error(), 200)
}

// ResponseError reports an answer that is not what App Store Connect sends:
// a body that is not the expected JSON, or is too large.
type ResponseError struct {
	Status  int
	Problem string // e.g. "a body that is not JSON"
}

func (e *ResponseError) Title() string { return "Unexpected answer from App Store Connect" }

func (e *ResponseError) Error() string {
	return fmt.Sprintf("App Store Connect answered %d with %s; check that asc-api-url points at App Store Connect (normally https://api.appstoreconnect.apple.com), else re-run the workflow later",
		e.Status, e.Problem)
}

// clean makes text from a response fit for a one-line message, with the
// action's one cleaner.
func clean(s string, n int) string { return cleaner.Clean(s, n) }
