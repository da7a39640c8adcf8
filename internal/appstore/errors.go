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

// Error says what App Store Connect answered; the caller says what it
// means for the key and what to do.
func (e *APIError) Error() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("App Store Connect rejected key %s with Issuer ID %s (%s); %s",
			e.KeyID, e.IssuerID, e.StatusCode("NOT_AUTHORIZED"), e.Apple())
	case e.Status == http.StatusForbidden:
		return fmt.Sprintf("App Store Connect accepted key %s but its role lacks access (%s); %s",
			e.KeyID, e.StatusCode("FORBIDDEN_ERROR"), e.Apple())
	case e.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("App Store Connect rate-limited key %s (%s) and still did after retries; %s; %s",
			e.KeyID, e.StatusCode("RATE_LIMIT_EXCEEDED"), e.RateLimitText(), e.Apple())
	case e.Status >= 500:
		return fmt.Sprintf("App Store Connect is unavailable (%d) and still was after retries; %s", e.Status, e.Apple())
	case e.Status >= 300 && e.Status < 400:
		return fmt.Sprintf("App Store Connect answered with a redirect (%d), which is never followed", e.Status)
	default:
		return fmt.Sprintf("App Store Connect refused GET /v1/apps (%s); %s", e.StatusCode(""), e.Apple())
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

func (e *AgreementError) Unwrap() error { return e.API }

func (e *AgreementError) Error() string {
	return fmt.Sprintf("App Store Connect accepted key %s but answers every request of its team (Issuer ID %s) with %d %s "+
		"until the team's Account Holder accepts Apple's updated agreement; %s",
		e.API.KeyID, e.API.IssuerID, e.API.Status, e.Code, e.API.Apple())
}

// StatusCode renders "401 NOT_AUTHORIZED": the status and Apple's first
// error code, or fallback when Apple sent none.
func (e *APIError) StatusCode(fallback string) string {
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

// Apple renders Apple's errors[] as `Apple says: CODE "title" (detail)`.
func (e *APIError) Apple() string {
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

// RateLimitText explains the X-Rate-Limit header, whose form is
// "user-hour-lim:3500;user-hour-rem:0;".
func (e *APIError) RateLimitText() string {
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

func (e *BundleIDsNotVisibleError) Error() string {
	what := "no app"
	if e.NoneVisible {
		what = "none of the apps asked for"
	}
	return fmt.Sprintf("key %s can see %s with %s %s", e.KeyID, what, e.Noun(), strings.Join(e.Missing, ", "))
}

// Noun is "bundle ID" or "bundle IDs", as many as are missing.
func (e *BundleIDsNotVisibleError) Noun() string {
	if len(e.Missing) > 1 {
		return "bundle IDs"
	}
	return "bundle ID"
}

// BundleIDError reports a value that cannot be a bundle ID.
type BundleIDError struct {
	ID     string
	Reason string
}

func (e *BundleIDError) Error() string {
	return fmt.Sprintf("bundle ID %q %s", e.Shown(), e.Reason)
}

// Shown is the value, cleaned and cut to be quoted in a message.
func (e *BundleIDError) Shown() string { return clean(e.ID, 60) }

// NetworkError reports that App Store Connect could not be reached at all,
// after retries. It says nothing about the key.
type NetworkError struct {
	Host string
	Err  error
}

func (e *NetworkError) Unwrap() error { return e.Err }

// NetCause says how reaching a service failed.
type NetCause int

// How a connection can fail, as far as the error tells.
const (
	NetOther     NetCause = iota // see Detail
	NetDeadline                  // no answer before the run's timeout
	NetCancelled                 // the run was cancelled
	NetNoHost                    // the host name does not resolve
	NetDNS                       // the DNS lookup failed
	NetRefused                   // the connection was refused
	NetTLS                       // the TLS certificate is not trusted
	NetDropped                   // the connection was dropped mid-answer
	NetTimeout                   // the connection timed out
)

// Cause classifies Err.
func (e *NetworkError) Cause() NetCause {
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		unknown x509.UnknownAuthorityError
		verify  *tls.CertificateVerificationError
		hostErr x509.HostnameError
	)
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return NetDeadline
	case errors.Is(e.Err, context.Canceled):
		return NetCancelled
	case errors.As(e.Err, &dnsErr) && dnsErr.IsNotFound:
		return NetNoHost
	case errors.As(e.Err, &dnsErr):
		return NetDNS
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return NetRefused
	case errors.As(e.Err, &unknown), errors.As(e.Err, &verify), errors.As(e.Err, &hostErr):
		return NetTLS
	case errors.Is(e.Err, io.ErrUnexpectedEOF), errors.Is(e.Err, io.EOF), errors.Is(e.Err, syscall.ECONNRESET):
		return NetDropped
	case errors.As(e.Err, &netErr) && netErr.Timeout():
		return NetTimeout
	}
	return NetOther
}

// Detail is the innermost useful text of Err, without the request URL.
func (e *NetworkError) Detail() string { return cause(e.Err) }

func (e *NetworkError) Error() string {
	return fmt.Sprintf("could not reach App Store Connect at %s: %s", e.Host, e.Detail())
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

func (e *ResponseError) Error() string {
	return fmt.Sprintf("App Store Connect answered %d with %s", e.Status, e.Problem)
}

// clean makes text from a response fit for a one-line message, with the
// action's one cleaner.
func clean(s string, n int) string { return cleaner.Clean(s, n) }
