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
	Host     string // the base URL's host, for the errors that blame it
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

// Kinds of APIError beyond the contract's codes, as Kind returns them.
const (
	KindRedirect    = "redirect"
	KindBadAnswer   = "bad_answer"  // a 2xx, or no status, with a body outside the contract
	KindNotPortal   = "not_portal"  // 401 or 404 without the contract's error body
	KindUnavailable = "unavailable" // 429 or 5xx after the retries
	KindOther       = "other"
)

// Kind classifies the error by code first and status second, so a portal
// that sends the right code with an odd status is still explained well: one
// of the Code* constants or the Kind* ones.
func (e *APIError) Kind() string {
	switch e.Code {
	case CodeUnauthorized, CodeForbidden, CodeProjectNotFound, CodeAppNotFound, CodeKeyNotFound, CodeInvalidKey:
		return e.Code
	}
	switch {
	case e.Status >= 300 && e.Status < 400:
		return KindRedirect
	case e.Status == 0 || (e.Status >= 200 && e.Status < 300):
		return KindBadAnswer
	case e.Status == http.StatusUnauthorized, e.Status == http.StatusNotFound:
		// mos.portal answers both with the contract's error body: without
		// it, the answer is most likely another service's.
		return KindNotPortal
	case e.Status == http.StatusForbidden:
		return CodeForbidden
	case e.Status == http.StatusTooManyRequests || e.Status >= 500:
		return KindUnavailable
	}
	return KindOther
}

// Error says what was found; the caller adds what to do. The failures that
// concern the whole run (the token, the project, the base URL, the portal's
// health) name neither the app nor the platform, so the same cause reads
// the same for every app of either store.
func (e *APIError) Error() string {
	doing := e.Doing()
	switch e.Kind() {
	case CodeUnauthorized:
		return fmt.Sprintf("mos.portal rejected the token (%s)", e.Said(true))
	case CodeForbidden:
		return fmt.Sprintf("the token has no access to project %q in mos.portal, or the project name is misspelled (%s)", e.Project, e.Said(true))
	case CodeProjectNotFound:
		return fmt.Sprintf("mos.portal has no project %q (%s)", e.Project, e.Said(true))
	case CodeAppNotFound:
		return fmt.Sprintf("mos.portal project %q has no app %q (%s)", e.Project, e.App, e.Said(true))
	case CodeKeyNotFound:
		return fmt.Sprintf("app %q in project %q holds no %s in mos.portal yet (%s)", e.App, e.Project, e.KeyNoun(), e.Said(true))
	case CodeInvalidKey:
		return fmt.Sprintf("mos.portal refused the %s for app %q in project %q (%s); nothing was stored", e.KeyNoun(), e.App, e.Project, e.Said(true))
	case KindRedirect:
		return fmt.Sprintf("mos.portal answered %s while %s and %s", StatusText(e.Status), doing, e.Detail)
	case KindNotPortal:
		return fmt.Sprintf("the portal URL%s answered %s without contract v1's error body (%s)", e.at(), StatusText(e.Status), e.Detail)
	case KindUnavailable:
		// "the key", not the platform's: a portal down for both stores' apps
		// is one cause.
		anyKey := strings.Replace(doing, e.KeyNoun(), "key", 1)
		return fmt.Sprintf("mos.portal answered %s (%s) while %s, also after retries", StatusText(e.Status), e.Said(false), anyKey)
	case KindBadAnswer:
		if e.Status == 0 {
			return fmt.Sprintf("mos.portal's answer while %s was unusable, as %s", doing, e.Detail)
		}
		return fmt.Sprintf("mos.portal answered %s while %s, but %s", StatusText(e.Status), doing, e.Detail)
	}
	return fmt.Sprintf("mos.portal answered %s (%s) while %s, which contract v1 does not expect", StatusText(e.Status), e.Said(false), doing)
}

// Doing describes the request, e.g. `reading the app records of project
// "acme"`.
func (e *APIError) Doing() string {
	return describeDoing(e.Method, e.Resource, e.Platform, e.Project, e.App)
}

// KeyNoun names the platform's key, e.g. "App Store Connect API key".
func (e *APIError) KeyNoun() string { return keyNoun(e.Platform) }

// HostShown is the base URL's host, cleaned to be shown; "" if unknown.
func (e *APIError) HostShown() string {
	if e.Host == "" {
		return ""
	}
	return sanitize(e.Host, 100, nil)
}

func (e *APIError) at() string {
	if h := e.HostShown(); h != "" {
		return " (host " + h + ")"
	}
	return ""
}

// Said renders what the portal said, e.g. "422 invalid_key: keyId must be …",
// or what its body was when it was not a contract error.
func (e *APIError) Said(withStatus bool) string {
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

// StatusText renders a status with its name, e.g. "404 Not Found".
func StatusText(status int) string {
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
	Host                           string // the base URL's host
	Err                            error  // redacted: holds no token or key
}

func (e *RequestError) Unwrap() error { return e.Err }

func (e *RequestError) Error() string {
	switch {
	case errors.Is(e.Err, context.DeadlineExceeded):
		return fmt.Sprintf("the run's timeout ran out while %s", e.Doing())
	case errors.Is(e.Err, context.Canceled):
		return fmt.Sprintf("the run was cancelled while %s", e.Doing())
	}
	// Not the app: an unreachable portal is one cause for every app.
	at := ""
	if e.Host != "" {
		at = " at " + sanitize(e.Host, 100, nil)
	}
	return fmt.Sprintf("could not reach mos.portal%s (%s), also after retries", at, transportCause(e.Err))
}

// Doing describes the request, e.g. `uploading the key of app "a" in
// project "p"`.
func (e *RequestError) Doing() string {
	if e.Resource != ResourceKey {
		return describeDoing(e.Method, e.Resource, e.Platform, e.Project, e.App)
	}
	doing := "reading"
	if e.Method == http.MethodPut {
		doing = "uploading"
	}
	// "the key", not the platform's: the same cause for both stores' apps.
	return fmt.Sprintf("%s the key of app %q in project %q", doing, e.App, e.Project)
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
	What  string // IDProject or IDApp
	Value string
}

// What an IDError is about.
const (
	IDProject = "project"
	IDApp     = "app"
)

func (e *IDError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("empty %s identifier", e.What)
	}
	return fmt.Sprintf("%s identifier %q cannot name a project or app in a URL", e.What, e.Value)
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
