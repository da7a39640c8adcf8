package googlestandin

import (
	"encoding/json"
	"net/http"
)

// Token endpoint errors: RFC 6749 section 5.2 bodies with Google's texts.
const (
	msgBadSignature    = "Invalid JWT Signature."
	msgAccountNotFound = "Invalid grant: account not found"
	msgTimeframe       = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
	msgEmptyScope      = "Empty or missing scope not allowed."
	msgInvalidScope    = "Invalid OAuth scope or ID token audience provided."
	msgUnauthorized    = "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."
)

type tokenError struct {
	status      int
	code        string
	description string
}

func writeTokenError(w http.ResponseWriter, e tokenError) {
	writeJSON(w, e.status, struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
	}{e.code, e.description})
}

func invalidGrant(description string) tokenError {
	return tokenError{http.StatusBadRequest, "invalid_grant", description}
}

// apiError is Google's JSON error body of its REST APIs:
// {"error":{"code","message","errors":[…],"status","details":[…]}}.
type apiError struct {
	Code    int         `json:"code"`
	Message string      `json:"message"`
	Errors  []errorItem `json:"errors,omitempty"`
	Status  string      `json:"status"`
	Details []any       `json:"details,omitempty"`
	header  map[string]string
}

type errorItem struct {
	Message      string `json:"message"`
	Domain       string `json:"domain"`
	Reason       string `json:"reason"`
	Location     string `json:"location,omitempty"`
	LocationType string `json:"locationType,omitempty"`
	ExtendedHelp string `json:"extendedHelp,omitempty"`
}

type errorInfo struct {
	Type     string            `json:"@type"`
	Reason   string            `json:"reason"`
	Domain   string            `json:"domain"`
	Metadata map[string]string `json:"metadata,omitempty"`
}

func writeAPIError(w http.ResponseWriter, e apiError) {
	for k, v := range e.header {
		w.Header().Set(k, v)
	}
	writeJSON(w, e.Code, struct {
		Error apiError `json:"error"`
	}{e})
}

func simpleError(code int, status, message, domain, reason string) apiError {
	return apiError{
		Code: code, Message: message, Status: status,
		Errors: []errorItem{{Message: message, Domain: domain, Reason: reason}},
	}
}

const credentialsHelp = "Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."

func credentialsMissing() apiError {
	e := simpleError(http.StatusUnauthorized, "UNAUTHENTICATED",
		"Request is missing required authentication credential. "+credentialsHelp, "global", "required")
	e.Errors[0].Message = "Login Required."
	e.Errors[0].Location, e.Errors[0].LocationType = "Authorization", "header"
	e.Details = []any{errorInfo{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: "CREDENTIALS_MISSING", Domain: "googleapis.com",
		Metadata: map[string]string{"service": "androidpublisher.googleapis.com", "method": "google.play.publishing.v3.EditsService.Insert"}}}
	e.header = map[string]string{"WWW-Authenticate": `Bearer realm="https://accounts.google.com/"`}
	return e
}

func invalidCredentials() apiError {
	e := simpleError(http.StatusUnauthorized, "UNAUTHENTICATED",
		"Request had invalid authentication credentials. "+credentialsHelp, "global", "authError")
	e.Errors[0].Message = "Invalid Credentials"
	e.Errors[0].Location, e.Errors[0].LocationType = "Authorization", "header"
	e.Details = []any{errorInfo{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: "ACCESS_TOKEN_TYPE_UNSUPPORTED", Domain: "googleapis.com",
		Metadata: map[string]string{"service": "androidpublisher.googleapis.com", "method": "google.play.publishing.v3.EditsService.Insert"}}}
	e.header = map[string]string{"WWW-Authenticate": `Bearer realm="https://accounts.google.com/", error="invalid_token"`}
	return e
}

func insufficientScopes() apiError {
	e := simpleError(http.StatusForbidden, "PERMISSION_DENIED",
		"Request had insufficient authentication scopes.", "global", "insufficientPermissions")
	e.Errors[0].Message = "Insufficient Permission"
	e.Details = []any{errorInfo{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: "ACCESS_TOKEN_SCOPE_INSUFFICIENT", Domain: "googleapis.com",
		Metadata: map[string]string{"service": "androidpublisher.googleapis.com", "method": "google.play.publishing.v3.EditsService.Insert"}}}
	e.header = map[string]string{"WWW-Authenticate": `Bearer realm="https://accounts.google.com/", error="insufficient_scope", scope="` + Scope + `"`}
	return e
}

// serviceDisabled is the answer when the Google Play Android Developer API
// is not enabled in the Cloud project of the caller's service account.
func serviceDisabled(project string) apiError {
	link := "https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview?project=" + project
	msg := "Google Play Android Developer API has not been used in project " + project +
		" before or it is disabled. Enable it by visiting " + link +
		" then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
	e := simpleError(http.StatusForbidden, "PERMISSION_DENIED", msg, "usageLimits", "accessNotConfigured")
	e.Errors[0].ExtendedHelp = "https://console.developers.google.com"
	e.Details = []any{
		errorInfo{Type: "type.googleapis.com/google.rpc.ErrorInfo", Reason: "SERVICE_DISABLED", Domain: "googleapis.com", Metadata: map[string]string{
			"consumer":      "projects/" + project,
			"service":       "androidpublisher.googleapis.com",
			"serviceTitle":  "Google Play Android Developer API",
			"containerInfo": project,
			"activationUrl": link,
		}},
		struct {
			Type    string `json:"@type"`
			Locale  string `json:"locale"`
			Message string `json:"message"`
		}{"type.googleapis.com/google.rpc.LocalizedMessage", "en-US", msg},
		struct {
			Type  string `json:"@type"`
			Links []struct {
				Description string `json:"description"`
				URL         string `json:"url"`
			} `json:"links"`
		}{Type: "type.googleapis.com/google.rpc.Help", Links: []struct {
			Description string `json:"description"`
			URL         string `json:"url"`
		}{{"Google developers console API activation", link}}},
	}
	return e
}

func packageNotFound(pkg string) apiError {
	return simpleError(http.StatusNotFound, "NOT_FOUND", "Package not found: "+pkg+".", "global", "notFound")
}

func permissionDenied() apiError {
	return simpleError(http.StatusForbidden, "PERMISSION_DENIED", "The caller does not have permission", "global", "forbidden")
}

func editNotFound() apiError {
	return simpleError(http.StatusNotFound, "NOT_FOUND", "Edit not found.", "global", "notFound")
}

func editDeletedError() apiError {
	return simpleError(http.StatusBadRequest, "FAILED_PRECONDITION", "This Edit has been deleted.", "global", "failedPrecondition")
}

func notFoundPath() apiError {
	return simpleError(http.StatusNotFound, "NOT_FOUND", "Requested entity was not found.", "global", "notFound")
}

func methodNotAllowed() apiError {
	return simpleError(http.StatusMethodNotAllowed, "INVALID_ARGUMENT", "Method not allowed.", "global", "badRequest")
}

func badRequest(message string) apiError {
	return simpleError(http.StatusBadRequest, "INVALID_ARGUMENT", message, "global", "badRequest")
}

// writeJSON writes v indented as Google does.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
