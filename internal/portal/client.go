// Package portal is the client of mos.portal contract v1.1 (docs/openapi.yaml):
// read and store the App Store Connect key and the Google Play
// service-account key of an app, and read the apps' records with their
// bundle IDs and package names. It is the one place to change if the real
// portal's API differs from the contract.
package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mos-tools/publisher-keys/internal/asckey"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/version"
)

// Platforms, as they appear in request paths and in errors.
const (
	PlatformIOS     = "ios"
	PlatformAndroid = "android"
)

// Client talks to one mos.portal. Its zero value is not usable: BaseURL,
// Token and HTTP (from httpx.New) must be set. It is safe for concurrent use.
type Client struct {
	BaseURL *url.URL // the portal's base URL, as checked by httpx.ParseBaseURL
	Token   string   // the bearer token; never logged nor put into errors
	HTTP    *httpx.Client
}

// Record is what mos.portal holds for an app's key, of either platform.
// Contract v1 names its fields per platform (keyId and issuerId for App Store
// Connect, privateKeyId and clientEmail for Google Play); Record is both.
type Record struct {
	KeyID       string // the Key ID, or the service account's private key ID
	Owner       string // the Issuer ID, or the service account's client email
	Fingerprint string
	UploadedAt  time.Time // zero when the portal did not say
}

// Upload is the body of a key upload: an IOSKeyUpload or an AndroidKeyUpload.
type Upload interface {
	platform() string
	secret() string // the key sent; redacted from anything the portal says
}

// IOSKeyUpload is the body of an iOS key upload.
type IOSKeyUpload struct {
	KeyID      string `json:"keyId"`
	IssuerID   string `json:"issuerId"`
	PrivateKey string `json:"privateKey"` // PKCS#8 PEM
}

func (u IOSKeyUpload) platform() string { return PlatformIOS }
func (u IOSKeyUpload) secret() string   { return u.PrivateKey }

// String keeps the private key out of any accidental %v or %+v.
func (u IOSKeyUpload) String() string {
	return fmt.Sprintf("{KeyID:%s IssuerID:%s PrivateKey:[redacted]}", u.KeyID, u.IssuerID)
}

// GoString keeps the private key out of %#v.
func (u IOSKeyUpload) GoString() string { return "portal.IOSKeyUpload" + u.String() }

// AndroidKeyUpload is the body of an Android key upload.
type AndroidKeyUpload struct {
	ServiceAccountJSON string `json:"serviceAccountJson"` // the JSON text, sent as a string
}

func (u AndroidKeyUpload) platform() string { return PlatformAndroid }
func (u AndroidKeyUpload) secret() string   { return u.ServiceAccountJSON }

// String keeps the service-account key out of any accidental %v or %+v.
func (u AndroidKeyUpload) String() string { return "{ServiceAccountJSON:[redacted]}" }

// GoString keeps the service-account key out of %#v.
func (u AndroidKeyUpload) GoString() string { return "portal.AndroidKeyUpload" + u.String() }

// recordWire is a key record as it is sent, whichever its platform: times
// as strings, so a malformed one is our error, not json's (which would
// quote the body). iosWire and androidWire are its two JSON shapes.
type recordWire struct{ KeyID, Owner, Fingerprint, UploadedAt string }

type iosWire struct {
	KeyID       string `json:"keyId"`
	Owner       string `json:"issuerId"`
	Fingerprint string `json:"fingerprint"`
	UploadedAt  string `json:"uploadedAt"`
}

type androidWire struct {
	KeyID       string `json:"privateKeyId"`
	Owner       string `json:"clientEmail"`
	Fingerprint string `json:"fingerprint"`
	UploadedAt  string `json:"uploadedAt"`
}

// GetKey reads the key of platform (PlatformIOS or PlatformAndroid) stored
// for app. An app without a key is an *APIError for which IsKeyNotFound is
// true.
func (c *Client) GetKey(ctx context.Context, project, app, platform string) (*Record, error) {
	op := call{method: http.MethodGet, platform: platform, project: project, app: app}
	status, body, err := c.do(ctx, op, nil)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, op.unexpected(status, "the status is not 200")
	}
	return decodeKey(op, status, body)
}

// PutKey stores up as the key of its platform for app; created reports a
// 201 (the app held no key). After a retry a 200 can follow a first attempt
// whose 201 was lost, so use created for reporting only.
func (c *Client) PutKey(ctx context.Context, project, app string, up Upload) (k *Record, created bool, err error) {
	op := call{method: http.MethodPut, platform: up.platform(), project: project, app: app, secrets: []string{up.secret()}}
	payload, err := json.Marshal(up)
	if err != nil {
		return nil, false, fmt.Errorf("failed to encode the upload: %w", err)
	}
	status, body, err := c.do(ctx, op, payload)
	if err != nil {
		return nil, false, err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return nil, false, op.unexpected(status, "the status is neither 200 nor 201")
	}
	k, err = decodeKey(op, status, body)
	if err != nil {
		return nil, false, err
	}
	return k, status == http.StatusCreated, nil
}

// decodeKey decodes the key record of a 2xx answer from op's platform's
// JSON shape, and checks it.
func decodeKey(op call, status int, body []byte) (*Record, error) {
	var w recordWire
	var err error
	id := field{"keyId", "", isKeyID, "10 upper-case letters and digits"}
	owner := field{"issuerId", "", isIssuerID, "a UUID"}
	if op.platform == PlatformAndroid {
		var a androidWire
		err = decodeRecord(body, &a)
		w = recordWire(a)
		id = field{"privateKeyId", "", playkey.ValidPrivateKeyID, "1 to 128 letters, digits, dots, dashes and underscores"}
		owner = field{"clientEmail", "", playkey.ValidClientEmail, "an e-mail address"}
	} else {
		var i iosWire
		err = decodeRecord(body, &i)
		w = recordWire(i)
	}
	if err != nil {
		return nil, op.unexpected(status, err.Error())
	}
	id.value, owner.value = w.KeyID, w.Owner
	at, err := checkRecord(w.Fingerprint, w.UploadedAt, id, owner)
	if err != nil {
		return nil, op.unexpected(status, err.Error())
	}
	return &Record{KeyID: w.KeyID, Owner: w.Owner, Fingerprint: w.Fingerprint, UploadedAt: at}, nil
}

// field is one field of a key record, with the contract's shape of it.
type field struct {
	name, value string
	valid       func(string) bool
	shape       string // the shape, for the error: the value is never quoted
}

// checkRecord checks every field of a key record against the contract's
// shapes (docs/mos-portal-contract.md), the same rules the key intake
// applies, before any of it is used or printed. It returns the record's
// uploadedAt. Without the owner (the Issuer ID, the client email) the action
// could not tell the right key filed under the wrong team from the right
// key, so a record without one breaks the contract rather than counting as
// drift on every run. An error names the field, never its value: a hostile
// portal could put anything in it.
func checkRecord(fingerprint, uploadedAt string, fields ...field) (time.Time, error) {
	fields = append(fields, field{"fingerprint", fingerprint, fingerprintShape.MatchString, `"SHA256:" and 43 base64 characters`})
	for _, f := range fields {
		switch {
		case f.value == "":
			return time.Time{}, fmt.Errorf("the key record has no %s", f.name)
		case !f.valid(f.value):
			return time.Time{}, fmt.Errorf("the key record's %s is not %s", f.name, f.shape)
		}
	}
	return parseTime(uploadedAt)
}

var fingerprintShape = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

func isKeyID(s string) bool    { return asckey.CheckKeyID(s) == nil }
func isIssuerID(s string) bool { return asckey.CheckIssuerID(s) == nil }

// decodeRecord unmarshals a 2xx body. Its errors describe the problem
// without quoting the body: a portal that echoed an upload would otherwise
// put the private key into the error.
func decodeRecord(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return errors.New("the body is empty")
	case trimmed[0] != '{':
		return errors.New("the body is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return fmt.Errorf("the field %s is not a %s", typeErr.Field, typeErr.Type)
		}
		return errors.New("the body is not valid JSON")
	}
	return nil
}

// parseTime reads uploadedAt; a missing one is tolerated (the action does not
// depend on it), a malformed one is a contract violation worth reporting.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("uploadedAt is not an RFC 3339 time")
	}
	return t, nil
}

// call describes one request, for building its URL and its errors.
type call struct {
	method, platform, project, app string
	resource                       string   // ResourceKey, ResourceApps or ResourceApp
	query                          string   // the encoded query, without "?"
	secrets                        []string // sent in the body; redacted from anything the portal says
	host                           string   // the base URL's host, for the errors that blame it
}

func (op call) path() string {
	switch op.resource {
	case ResourceApps:
		return "/api/v1/projects/" + url.PathEscape(op.project) + "/apps"
	case ResourceApp:
		return "/api/v1/projects/" + url.PathEscape(op.project) + "/apps/" + url.PathEscape(op.app)
	}
	resource := "ios/api-key"
	if op.platform == PlatformAndroid {
		resource = "android/service-account"
	}
	return "/api/v1/projects/" + url.PathEscape(op.project) + "/apps/" + url.PathEscape(op.app) + "/publisher/" + resource
}

// label names the request in retry lines, with the app and never the
// query: "GET weather/ios" (a key), "GET weather" (an app record), "GET apps"
// (the listing).
func (op call) label() string {
	switch op.resource {
	case ResourceApps:
		return op.method + " apps"
	case ResourceApp:
		return op.method + " " + url.PathEscape(op.app)
	}
	return op.method + " " + url.PathEscape(op.app) + "/" + op.platform
}

// checkSegment refuses identifiers that cannot be one path segment:
// url.PathEscape leaves "." and ".." alone, and servers resolve them.
func checkSegment(what, value string) error {
	if value == "" || value == "." || value == ".." {
		return &IDError{What: what, Value: value}
	}
	return nil
}

// do sends the request and returns the status and body of a 2xx answer, or
// the typed error of any other outcome.
func (c *Client) do(ctx context.Context, op call, payload []byte) (int, []byte, error) {
	if c.HTTP == nil || c.BaseURL == nil {
		return 0, nil, errors.New("portal: Client needs BaseURL and HTTP")
	}
	op.host = c.BaseURL.Host
	if err := checkSegment(IDProject, op.project); err != nil {
		return 0, nil, err
	}
	if op.resource != ResourceApps {
		if err := checkSegment(IDApp, op.app); err != nil {
			return 0, nil, err
		}
	}
	// The base URL has no query or fragment (httpx.ParseBaseURL); its path
	// is kept, so a portal served below a prefix works.
	target := strings.TrimSuffix(c.BaseURL.String(), "/") + op.path()
	if op.query != "" {
		target += "?" + op.query
	}

	var body any // a nil []byte would still be sent as an empty body
	if payload != nil {
		body = payload
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, op.method, target, body)
	if err != nil {
		return 0, nil, fmt.Errorf("failed to build the mos.portal request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", version.UserAgent())
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	secrets := append([]string{c.Token}, op.secrets...)
	resp, err := c.HTTP.Labelled("mos.portal " + op.label()).Do(req)
	if err != nil {
		if resp != nil { // a response that came with a cancelled context
			_ = resp.Body.Close()
		}
		var tooLarge *httpx.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			return 0, nil, op.unexpected(0, "the answer is larger than 1 MiB")
		}
		return 0, nil, &RequestError{Method: op.method, Platform: op.platform, Project: op.project, App: op.app,
			Resource: op.resource, Host: op.host, Err: redactErr(err, secrets)}
	}
	respBody, err := httpx.ReadBody(resp, httpx.MaxBody)
	if err != nil {
		var tooLarge *httpx.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			return 0, nil, op.unexpected(resp.StatusCode, "the answer is larger than 1 MiB")
		}
		return 0, nil, &RequestError{Method: op.method, Platform: op.platform, Project: op.project, App: op.app,
			Resource: op.resource, Host: op.host, Err: redactErr(err, secrets)}
	}
	if httpx.IsRedirect(resp) {
		return 0, nil, op.apiError(resp.StatusCode, "", "", "redirected to "+describeLocation(resp.Header.Get("Location")))
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp.StatusCode, respBody, nil
	}
	return 0, nil, op.errorFromBody(resp.StatusCode, respBody, secrets)
}

// errorFromBody builds the error of a non-2xx answer from its contract error
// body, or from a short, sanitized excerpt when the body is something else.
func (op call) errorFromBody(status int, body []byte, secrets []string) *APIError {
	var e struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error != nil && e.Error.Code != "" {
		return op.apiError(status, sanitize(e.Error.Code, 64, secrets), sanitize(e.Error.Message, 300, secrets), "")
	}
	detail := "the body is empty"
	if len(bytes.TrimSpace(body)) > 0 {
		detail = fmt.Sprintf("the body starts with %q", sanitize(string(body), 80, secrets))
	}
	return op.apiError(status, "", "", detail)
}

func (op call) apiError(status int, code, message, detail string) *APIError {
	return &APIError{Status: status, Code: code, Message: message, Detail: detail,
		Project: op.project, App: op.app, Platform: op.platform, Method: op.method, Resource: op.resource, Host: op.host}
}

// unexpected is the error of an answer that does not follow the contract.
func (op call) unexpected(status int, detail string) *APIError {
	return op.apiError(status, "", "", detail)
}

// describeLocation names a redirect target by its scheme and host only: its
// path, query, fragment or credentials might carry the token.
func describeLocation(loc string) string {
	u, err := url.Parse(loc)
	switch {
	case loc == "" || err != nil:
		return "an unnamed location"
	case u.Host == "":
		return "a path on the same host"
	}
	return sanitize(u.Scheme+"://"+u.Host, 120, nil)
}
