package ascstandin

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
)

// errorDocument is Apple's JSON:API error response.
type errorDocument struct {
	Errors []errorObject `json:"errors"`
}

type errorObject struct {
	ID     string       `json:"id"`
	Status string       `json:"status"`
	Code   string       `json:"code"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Source *errorSource `json:"source,omitempty"`
	Links  *errorLinks  `json:"links,omitempty"`
}

type errorSource struct {
	Parameter string `json:"parameter,omitempty"`
}

// errorLinks points at the page of App Store Connect that fixes the error.
type errorLinks struct {
	See string `json:"see,omitempty"`
}

// The texts below are the ones App Store Connect sends (seen in real
// answers quoted by client libraries and bug reports), except where noted.
const (
	notAuthorizedTitle  = "Authentication credentials are missing or invalid."
	notAuthorizedDetail = "Provide a properly configured and signed bearer token, and make sure that it has not expired. " +
		"Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens"
	forbiddenTitle      = "This request is forbidden for security reasons"
	forbiddenDetail     = "The API key in use does not allow this request"
	rateLimitTitle      = "The request rate limit has been reached."
	rateLimitDetail     = "We've received too many requests for this API. Please wait and try again or slow down your request rate."
	notFoundTitle       = "The specified resource does not exist"
	notFoundPathDetail  = "The path provided does not match a defined resource type."
	invalidParamTitle   = "A parameter has an invalid value"
	illegalParamTitle   = "A given parameter is not allowed for this request"
	methodNotAllowTitle = "The request method is not allowed for this resource" // Apple's wording not verified
	appsOperations      = "GET_COLLECTION, GET_INSTANCE, UPDATE"
	agreementCode       = "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"
	agreementTitle      = "A required agreement is missing or has expired."
	agreementDetail     = "This request requires an in-effect agreement that has not been signed or has expired."
)

func notAuthorized() errorObject {
	return errorObject{Status: "401", Code: "NOT_AUTHORIZED", Title: notAuthorizedTitle, Detail: notAuthorizedDetail}
}

func forbidden(detail string) errorObject {
	return errorObject{Status: "403", Code: "FORBIDDEN_ERROR", Title: forbiddenTitle, Detail: detail}
}

// agreementMissing is Apple's answer while the team's Account Holder has
// not accepted an updated agreement. What is known of the real API:
//   - The body, code, title and detail as here, with an id and
//     links.see "/business" (older answers: "/agreements"), in answers
//     quoted on the Apple Developer Forums (thread 700371, a 403 on
//     /v1/salesReports; "Is there a reliable way to check pending agreement
//     status for multiple App Store Connect accounts via API?", thread
//     819390, showing it for /v1/agreements, /v1/bundleIds and
//     /v1/certificates alike) and in CI logs (SharezoneApp/sharezone-app
//     issue 1981: GET /v1/apps/{id}/appStoreVersions).
//   - It concerns the team, not the key: a newly created key gets it too
//     (thread 700371), and it goes once the Account Holder accepts the
//     agreement in App Store Connect → Business or at
//     developer.apple.com/account (the same sources; tramlinehq/tramline
//     issue 709: "most API calls against the store start failing").
//   - The token is checked first. No source shows the order outright, but
//     the agreement belongs to a team that only a verified token names, and
//     clients are built on that order: fastlane's spaceship raises
//     UnauthorizedAccessError on any 401 and ProgramLicenseAgreementUpdated
//     only on a 403 with this code (spaceship/lib/spaceship/connect_api/
//     api_client.rb, handle_error). So a bad token still gets 401 here.
//   - Whether such a 403 counts against the hourly rate limit is not
//     documented; the stand-in counts it, like every verified request.
func agreementMissing() errorObject {
	return errorObject{Status: "403", Code: agreementCode, Title: agreementTitle, Detail: agreementDetail,
		Links: &errorLinks{See: "/business"}}
}

func rateLimited() errorObject {
	return errorObject{Status: "429", Code: "RATE_LIMIT_EXCEEDED", Title: rateLimitTitle, Detail: rateLimitDetail}
}

func notFound(detail string) errorObject {
	return errorObject{Status: "404", Code: "NOT_FOUND", Title: notFoundTitle, Detail: detail}
}

func invalidParam(param, detail string) errorObject {
	return errorObject{Status: "400", Code: "PARAMETER_ERROR.INVALID", Title: invalidParamTitle, Detail: detail,
		Source: &errorSource{Parameter: param}}
}

func illegalParam(param string) errorObject {
	return errorObject{Status: "400", Code: "PARAMETER_ERROR.ILLEGAL", Title: illegalParamTitle,
		Detail: fmt.Sprintf("The parameter '%s' can not be used with this request", param),
		Source: &errorSource{Parameter: param}}
}

// operationForbidden is Apple's answer to a method the resource does not
// offer, e.g. POST /v1/apps: a 403, not a 405.
func operationForbidden(operation string) errorObject {
	return forbidden(fmt.Sprintf("The resource 'apps' does not allow '%s'. Allowed operations are: %s", operation, appsOperations))
}

func methodNotAllowed(method string) errorObject {
	return errorObject{Status: "405", Code: "METHOD_NOT_ALLOWED", Title: methodNotAllowTitle,
		Detail: fmt.Sprintf("The method '%s' is not allowed for this resource.", method)}
}

func writeError(w http.ResponseWriter, status int, e errorObject) {
	e.ID = newUUID()
	writeJSON(w, status, errorDocument{Errors: []errorObject{e}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only our own plain structs are marshalled; this cannot happen.
		panic(fmt.Sprintf("ascstandin: failed to marshal answer: %v", err))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// newUUID returns a random (version 4) UUID, as Apple puts in errors[].id.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
