package portal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/mos-tools/publisher-keys/internal/redact"
)

// Error codes of contract v1.
const (
	CodeKeyNotFound     = "key_not_found"
	CodeAppNotFound     = "app_not_found"
	CodeProjectNotFound = "project_not_found"
	CodeInvalidKey      = "invalid_key"
	CodeUnauthorized    = "unauthorized"
	CodeForbidden       = "forbidden"
)

// APIError is an answer of mos.portal other than the success the contract
// promises: an error status, a redirect, or a body that is not what the
// contract describes.
type APIError struct {
	Status   int    // HTTP status; 0 when the answer could not be read (too large)
	Code     string // the contract error code; "" when the body held none
	Message  string // the portal's message, sanitized and shortened
	Detail   string // what was wrong with an answer outside the contract; never quotes a 2xx body
	Project  string
	App      string
	Platform string // PlatformIOS or PlatformAndroid; "" for app records
	Method   string // GET or PUT
	Resource string // ResourceKey, ResourceApps or ResourceApp
	Host     string // mos-url's host, for the errors that blame mos-url
}

// What a request was about, in APIError.Resource and RequestError.Resource.
const (
	ResourceKey  = ""     // the key of Platform stored for App
	ResourceApps = "apps" // the project's app records (App is "")
	ResourceApp  = "app"  // the record of App (contract v1.1)
)

// describeDoing describes the request in errors, e.g. `reading the app records of
// project "acme"`.
func describeDoing(method, resource, platform, project, app string) string {
	switch resource {
	case ResourceApps:
		return fmt.Sprintf("reading the app records of project %q", project)
	case ResourceApp:
		return fmt.Sprintf("reading the record of app %q in project %q", app, project)
	}
	if method == http.MethodPut {
		return fmt.Sprintf("uploading the %s to app %q in project %q", keyNoun(platform), app, project)
	}
	return fmt.Sprintf("reading the %s of app %q in project %q", keyNoun(platform), app, project)
}

// IsKeyNotFound reports whether err says that the app holds no key of the
// platform: the normal state before the first upload.
func IsKeyNotFound(err error) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == CodeKeyNotFound
}

// OutcomeUnknown reports whether err, returned by PutKey, leaves open
// whether mos.portal stored the key: the request may have been applied, but
// no usable answer says so. That is every failure of a request
// that may have been sent (the connection cut, no answer before the
// deadline, a cancellation, a 2xx whose body is unusable or too large, a
// 5xx after the retries, a 4xx that is not in the contract's words), except
// the answers that say nothing was written: a 4xx with contract v1's error
// body, and a redirect, which the client never follows (the portal did not
// take the request at this address). Retries make "never sent" unknowable:
// an earlier attempt may have reached the portal although the last one was
// refused a connection, so a request without an answer always counts.
func OutcomeUnknown(err error) bool {
	var reqErr *RequestError
	if errors.As(err, &reqErr) {
		return reqErr.Method == http.MethodPut
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Method == http.MethodPut && !apiErr.nothingWritten()
	}
	return false // an identifier refused, a request never built: nothing sent
}

// nothingWritten reports whether the answer says the request was not applied.
func (e *APIError) nothingWritten() bool {
	switch {
	case e.Status >= 300 && e.Status < 400:
		return true
	case e.Status >= 400 && e.Status < 500:
		return e.Code != ""
	}
	return false
}

// kind classifies the error by code first and status second, so a portal
// that sends the right code with an odd status is still explained well.
func (e *APIError) kind() string {
	switch e.Code {
	case CodeUnauthorized, CodeForbidden, CodeProjectNotFound, CodeAppNotFound, CodeKeyNotFound, CodeInvalidKey:
		return e.Code
	}
	switch {
	case e.Status >= 300 && e.Status < 400:
		return "redirect"
	case e.Status == 0 || (e.Status >= 200 && e.Status < 300):
		return "bad_answer"
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusNotFound:
		// mos.portal answers both with the contract's error body: without
		// it, the answer is most likely another service's.
		return "not_portal"
	case e.Status == http.StatusForbidden:
		return CodeForbidden
	case e.Status == http.StatusTooManyRequests || e.Status >= 500:
		return "unavailable"
	}
	return "other"
}

// Title is the short title of the GitHub annotation.
func (e *APIError) Title() string {
	switch e.kind() {
	case CodeUnauthorized:
		return "mos.portal rejected the token"
	case CodeForbidden:
		return "mos.portal token lacks access"
	case CodeProjectNotFound:
		return "mos.portal project not found"
	case CodeAppNotFound:
		return "mos.portal app not found"
	case CodeKeyNotFound:
		return "No key stored in mos.portal"
	case CodeInvalidKey:
		return "mos.portal refused the key"
	case "redirect":
		return "mos.portal redirected the request"
	case "not_portal":
		return "mos-url is not mos.portal's API"
	case "unavailable":
		return "mos.portal unavailable"
	}
	return "Unexpected answer from mos.portal"
}

// Error leads with one sentence saying what was found; the advice follows.
// The failures that concern the whole run (the token, the project, mos-url,
// the portal's health) name neither the app nor the platform, so the same
// cause reads the same for every app of either store and is reported once.
func (e *APIError) Error() string {
	what := keyNoun(e.Platform)
	doing := describeDoing(e.Method, e.Resource, e.Platform, e.Project, e.App)

	switch e.kind() {
	case CodeUnauthorized:
		return fmt.Sprintf("mos.portal rejected the token (%s). Check the mos-token secret: it may be mistyped, or the token may have expired or been revoked; then issue a new one in mos.portal and update the secret.", e.said(true))
	case CodeForbidden:
		// The contract answers 403, not 404, for a project the token cannot
		// see: a misspelled project reads exactly like a missing grant.
		return fmt.Sprintf("the mos-token has no access to project %q in mos.portal, or the project name is misspelled (%s). Check mos-project: it is the project's identifier in mos.portal, not its display name. If it is right, use a token issued for that project, or ask a project admin to grant this token access to it and its apps.", e.Project, e.said(true))
	case CodeProjectNotFound:
		return fmt.Sprintf("mos.portal has no project %q (%s). Check the spelling of mos-project: it is the project's identifier in mos.portal, not its display name.", e.Project, e.said(true))
	case CodeAppNotFound:
		return fmt.Sprintf("mos.portal project %q has no app %q (%s). Check the spelling of this entry in mos-apps: it is the app's identifier in mos.portal, not its display name.", e.Project, e.App, e.said(true))
	case CodeKeyNotFound:
		return fmt.Sprintf("app %q in project %q holds no %s in mos.portal yet (%s).", e.App, e.Project, what, e.said(true))
	case CodeInvalidKey:
		return fmt.Sprintf("mos.portal refused the %s for app %q in project %q (%s); nothing was stored. The key passed the action's own checks: check the key in the secret, and if it is right, report the portal's message to the mos.portal team.", what, e.App, e.Project, e.said(true))
	case "redirect":
		return fmt.Sprintf("mos.portal answered %s while %s and %s. The action never follows redirects, so that keys and the token go only where mos-url says: set mos-url to the portal's final https base URL.", statusText(e.Status), doing, e.Detail)
	case "not_portal":
		return fmt.Sprintf("%s probably does not point at mos.portal's API: it answered %s without contract v1's error body (%s). Set mos-url to the portal's base URL (without /api/v1), and check that the portal supports contract v1 (docs/mos-portal-contract.md).", e.mosURL(), statusText(e.Status), e.Detail)
	case "unavailable":
		// "the key", not the platform's: a portal down for both stores' apps
		// is one cause.
		anyKey := strings.Replace(doing, what, "key", 1)
		return fmt.Sprintf("mos.portal answered %s (%s) while %s, also after retries. The portal is unavailable or overloaded: run the workflow again later.", statusText(e.Status), e.said(false), anyKey)
	case "bad_answer":
		advice := "the portal does not follow contract v1 (docs/mos-portal-contract.md); check mos-url, or report this to the mos.portal team."
		if e.Resource != ResourceKey {
			advice = strings.Replace(advice, "contract v1", "contract v1.1", 1)
		}
		if e.Status == 0 {
			return fmt.Sprintf("mos.portal's answer while %s was unusable, as %s: %s", doing, e.Detail, advice)
		}
		return fmt.Sprintf("mos.portal answered %s while %s, but %s: %s", statusText(e.Status), doing, e.Detail, advice)
	}
	return fmt.Sprintf("mos.portal answered %s (%s) while %s, which contract v1 does not expect. Check that mos-url points at a portal that supports it (docs/mos-portal-contract.md).", statusText(e.Status), e.said(false), doing)
}

// mosURL names the mos-url input with its host, as far as it is known.
func (e *APIError) mosURL() string {
	if e.Host == "" {
		return "mos-url"
	}
	return fmt.Sprintf("mos-url (host %s)", sanitize(e.Host, 100, nil))
}

// said renders what the portal said, e.g. "422 invalid_key: keyId must be …",
// or what its body was when it was not a contract error.
func (e *APIError) said(withStatus bool) string {
	var out string
	switch {
	case e.Code != "" && e.Message != "":
		out = e.Code + ": " + e.Message
	case e.Code != "":
		out = e.Code
	case withStatus:
		return fmt.Sprintf("%d; %s", e.Status, e.Detail)
	default:
		return e.Detail
	}
	if withStatus {
		out = fmt.Sprintf("%d %s", e.Status, out)
	}
	return out
}

func keyNoun(platform string) string {
	if platform == PlatformAndroid {
		return "Google Play service-account key"
	}
	return "App Store Connect API key"
}

func statusText(status int) string {
	if t := http.StatusText(status); t != "" {
		return fmt.Sprintf("%d %s", status, t)
	}
	return fmt.Sprint(status)
}

// RequestError reports a request that got no usable answer: network
// failures after the retries, or the run's deadline.
type RequestError struct {
	Method, Platform, Project, App string
	Resource                       string // as in APIError
	Host                           string // mos-url's host
	Err                            error  // redacted: holds no token or key
}

func (e *RequestError) Unwrap() error { return e.Err }

// Title is the short title of the GitHub annotation.
func (e *RequestError) Title() string {
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return "mos.portal did not answer in time"
	case errors.Is(e.Err, context.Canceled):
		return "Cancelled while talking to mos.portal"
	}
	return "Cannot reach mos.portal"
}

func (e *RequestError) Error() string {
	doing := "reading"
	if e.Method == http.MethodPut {
		doing = "uploading"
	}
	// "the key", not the platform's: the same cause for both stores' apps.
	doing = fmt.Sprintf("%s the key of app %q in project %q", doing, e.App, e.Project)
	if e.Resource != ResourceKey {
		doing = describeDoing(e.Method, e.Resource, e.Platform, e.Project, e.App)
	}
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("the run's timeout ran out while %s: raise the timeout input, or check why mos.portal is slow.", doing)
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("the run was cancelled while %s.", doing)
	}
	// Not the app: an unreachable portal is one cause for every app.
	at := ""
	if e.Host != "" {
		at = " at " + sanitize(e.Host, 100, nil)
	}
	return fmt.Sprintf("could not reach mos.portal%s (%s), also after retries. Check mos-url and that the portal is up.", at, transportCause(e.Err))
}

// transportCause says why a request got no answer, in words, without the
// `Put "http://…": ` prefix of *url.Error that would repeat the whole URL.
func transportCause(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the connection was closed before a complete answer arrived"
	}
	var redacted *redactedError
	var urlErr *url.Error
	if !errors.As(err, &redacted) && errors.As(err, &urlErr) {
		// Only when nothing was redacted: the inner error would bypass it.
		err = urlErr.Err
	}
	return sanitize(err.Error(), 200, nil)
}

// IDError reports a project or app identifier that cannot be sent as one
// path segment.
type IDError struct {
	Input string // "mos-project" or "mos-apps"
	Value string
}

// Title is the short title of the GitHub annotation.
func (e *IDError) Title() string { return "Invalid " + e.Input }

func (e *IDError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s has an empty identifier: give the identifier as it appears in mos.portal.", e.Input)
	}
	return fmt.Sprintf("%s has the identifier %q, which cannot name a project or app in a URL: give the identifier as it appears in mos.portal.", e.Input, e.Value)
}

// sanitize makes text from the portal safe and short enough for a log line,
// with the action's one cleaner.
func sanitize(s string, limit int, secrets []string) string {
	return redact.Clean(s, limit, secrets...)
}

func redactSecrets(s string, secrets []string) string { return redact.Secrets(s, secrets...) }

// redactErr keeps the chain of err for errors.Is while dropping any secret
// from its text. Transport errors quote URLs, never headers or bodies, so
// only the known secrets are looked for.
func redactErr(err error, secrets []string) error {
	msg := err.Error()
	clean := redactSecrets(msg, secrets)
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
