package play

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"syscall"
)

// APIErrorKind classifies why an edit of a package could not be opened.
type APIErrorKind string

// The classes of Play API failures.
const (
	APIPackageNotFound   APIErrorKind = "package-not-found"  // 404: no such app, or never uploaded
	APIPermissionDenied  APIErrorKind = "permission-denied"  // 403: not invited for this app
	APIDisabled          APIErrorKind = "api-disabled"       // 403 SERVICE_DISABLED / accessNotConfigured
	APIProjectNotLinked  APIErrorKind = "project-not-linked" // 403 projectNotLinked (older Play Console setups)
	APIUnauthenticated   APIErrorKind = "unauthenticated"    // 401: the access token was refused
	APIScopeInsufficient APIErrorKind = "scope-insufficient" // 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT
	APIRateLimited       APIErrorKind = "rate-limited"       // 429 after retries
	APIUnavailable       APIErrorKind = "unavailable"        // 5xx after retries
	APIRedirect          APIErrorKind = "redirect"
	APIMalformed         APIErrorKind = "malformed" // an answer that cannot be read
	APINetwork           APIErrorKind = "network"
	APITimeout           APIErrorKind = "timeout"
	APIOther             APIErrorKind = "other"
)

// APIError reports that Google Play refused or failed to open an edit of
// one package. Its message names the package.
type APIError struct {
	Kind          APIErrorKind
	Package       string
	Status        int      // HTTP status; 0 if no answer came
	GoogleStatus  string   // error.status, e.g. PERMISSION_DENIED
	Message       string   // error.message, shortened
	Reasons       []string // errors[].reason and the reasons of ErrorInfo details
	ClientEmail   string
	ProjectNumber string // the Cloud project, for APIDisabled
	Err           error  // the network cause, if any
	// Read is true when the check read the production track (the read
	// check) rather than opening an edit.
	Read bool
}

// op names what the check tried, e.g. "open an edit of".
func (e *APIError) op() string {
	if e.Read {
		return "read the production track of"
	}
	return "open an edit of"
}

func (e *APIError) doing() string {
	if e.Read {
		return "reading the production track of"
	}
	return "opening an edit of"
}

func (e *APIError) Error() string {
	said := e.said()
	switch e.Kind {
	case APIPackageNotFound:
		return fmt.Sprintf("Google Play has no app %s for service account %s%s",
			e.Package, e.ClientEmail, said)
	case APIPermissionDenied:
		return fmt.Sprintf("service account %s may not manage %s%s",
			e.ClientEmail, e.Package, said)
	case APIProjectNotLinked:
		return fmt.Sprintf("while checking %s: the Cloud project of service account %s is not linked to the Play developer account%s",
			e.Package, e.ClientEmail, said)
	case APIDisabled:
		return fmt.Sprintf("the Google Play Android Developer API is not enabled in Google Cloud project %s, the project of service account %s (checking %s)",
			e.ProjectNumber, e.ClientEmail, e.Package)
	case APIUnauthenticated:
		return fmt.Sprintf("while checking %s: Google Play refused the access token just issued to service account %s%s",
			e.Package, e.ClientEmail, said)
	case APIScopeInsufficient:
		return fmt.Sprintf("while checking %s: Google Play says the access token of service account %s lacks scope %s%s",
			e.Package, e.ClientEmail, Scope, said)
	case APIRateLimited:
		return fmt.Sprintf("Google Play answered 429 for %s even after retries: the Play Developer API quota is spent", e.Package)
	case APIUnavailable:
		return fmt.Sprintf("Google Play answered %d for %s even after retries", e.Status, e.Package)
	case APIRedirect:
		return fmt.Sprintf("Google Play answered %d, a redirect, when %s %s; the action does not follow redirects with an access token", e.Status, e.doing(), e.Package)
	case APIMalformed:
		if e.Status == 0 && e.Err != nil {
			return fmt.Sprintf("Google Play sent an answer that could not be read (%s) when %s %s", netCause(e.Err), e.doing(), e.Package)
		}
		return fmt.Sprintf("Google Play answered %d with a body that could not be read when %s %s", e.Status, e.doing(), e.Package)
	case APINetwork:
		return fmt.Sprintf("could not reach Google Play to %s %s: %s", e.op(), e.Package, netCause(e.Err))
	case APITimeout:
		return fmt.Sprintf("gave up waiting for Google Play to %s %s: the run's time ran out", e.op(), e.Package)
	}
	if said == "" {
		said = fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return fmt.Sprintf("Google Play refused to %s %s for service account %s%s", e.op(), e.Package, e.ClientEmail, said)
}

func (e *APIError) Unwrap() error { return e.Err }

func (e *APIError) said() string {
	var parts []string
	if e.Status != 0 {
		parts = append(parts, fmt.Sprint(e.Status))
	}
	if e.GoogleStatus != "" {
		parts = append(parts, e.GoogleStatus)
	}
	s := strings.Join(parts, " ")
	if e.Message != "" {
		s += ": " + e.Message
	}
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// EnableURL is the page of Google Cloud console that enables the Google Play
// Android Developer API in a project (given by number or ID).
func EnableURL(project string) string {
	const page = "https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview"
	if project == "" {
		return page
	}
	return page + "?project=" + project
}

// googleError is Google's JSON error body.
type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason  string `json:"reason"`
			Message string `json:"message"`
		} `json:"errors"`
		Details []struct {
			Type     string            `json:"@type"`
			Reason   string            `json:"reason"`
			Metadata map[string]string `json:"metadata"`
		} `json:"details"`
	} `json:"error"`
}

var (
	projectInMessage = regexp.MustCompile(`project ([A-Za-z0-9-]{1,64}) before`)
	projectInURL     = regexp.MustCompile(`[?&]project=([A-Za-z0-9-]{1,64})`)
	safeProject      = regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
)

// apiErrorFrom turns a non-2xx answer of the Play API into an *APIError.
func (c *Client) apiErrorFrom(pkg string, status int, body []byte) *APIError {
	e := &APIError{Package: pkg, Status: status, ClientEmail: c.Key.ClientEmail}
	var g googleError
	parsed := json.Unmarshal(body, &g) == nil && (g.Error.Code != 0 || g.Error.Message != "")
	if parsed {
		e.GoogleStatus = clean(g.Error.Status, 40)
		e.Message = clean(g.Error.Message, 300)
		for _, x := range g.Error.Errors {
			e.Reasons = appendReason(e.Reasons, x.Reason)
		}
		for _, d := range g.Error.Details {
			if strings.HasSuffix(d.Type, "google.rpc.ErrorInfo") {
				e.Reasons = appendReason(e.Reasons, d.Reason)
			}
		}
	}
	has := func(r string) bool { return slices.Contains(e.Reasons, r) }
	msg := strings.ToLower(e.Message)
	switch {
	case status == http.StatusTooManyRequests:
		e.Kind = APIRateLimited
	case status >= 500:
		e.Kind = APIUnavailable
	case !parsed:
		e.Kind = APIMalformed
	case has("SERVICE_DISABLED") || has("accessNotConfigured") || strings.Contains(msg, "has not been used in project"):
		e.Kind = APIDisabled
		e.ProjectNumber = projectOf(g, e.Message, c.Key.ProjectID)
		// The message repeats the link; the error says it once.
		e.Message = ""
	case has("projectNotLinked"):
		e.Kind = APIProjectNotLinked
	case has("ACCESS_TOKEN_SCOPE_INSUFFICIENT") || has("insufficientPermissions"):
		e.Kind = APIScopeInsufficient
	case status == http.StatusNotFound:
		e.Kind = APIPackageNotFound
	case status == http.StatusForbidden,
		// Older answers use 401 with reason permissionDenied for a missing grant.
		status == http.StatusUnauthorized && (has("permissionDenied") || strings.Contains(msg, "insufficient permissions")):
		e.Kind = APIPermissionDenied
	case status == http.StatusUnauthorized:
		e.Kind = APIUnauthenticated
	default:
		e.Kind = APIOther
	}
	return e
}

func appendReason(rs []string, r string) []string {
	r = clean(r, 60)
	if r == "" || slices.Contains(rs, r) {
		return rs
	}
	return append(rs, r)
}

// projectOf finds the Cloud project of a SERVICE_DISABLED answer: in the
// ErrorInfo metadata, else in the message, else the key file's project_id.
func projectOf(g googleError, message, fallback string) string {
	for _, d := range g.Error.Details {
		if d.Reason != "SERVICE_DISABLED" {
			continue
		}
		if p, ok := strings.CutPrefix(d.Metadata["consumer"], "projects/"); ok && safeProject.MatchString(p) {
			return p
		}
		if p := d.Metadata["containerInfo"]; safeProject.MatchString(p) {
			return p
		}
	}
	for _, re := range []*regexp.Regexp{projectInMessage, projectInURL} {
		if m := re.FindStringSubmatch(message); m != nil {
			return m[1]
		}
	}
	if safeProject.MatchString(fallback) {
		return fallback
	}
	return ""
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// netCause says why a request got no usable answer, in words, without the
// `Post "http://…": ` prefix of *url.Error that would repeat the whole URL.
func netCause(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "the run's timeout ran out"
	case errors.Is(err, context.Canceled):
		return "the run was cancelled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "the connection was refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "the connection was closed before a complete answer arrived"
	}
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	return clean(err.Error(), 200)
}
