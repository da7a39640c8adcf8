package portalstandin

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxRequestBody bounds PUT bodies; a service-account JSON is about 2.5 KB.
const maxRequestBody = 64 << 10

// apiError is contract v1's error body.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

type iosKeyJSON struct {
	KeyID       string `json:"keyId"`
	IssuerID    string `json:"issuerId"`
	Fingerprint string `json:"fingerprint"`
	UploadedAt  string `json:"uploadedAt"`
}

type androidKeyJSON struct {
	ClientEmail  string `json:"clientEmail"`
	PrivateKeyID string `json:"privateKeyId"`
	Fingerprint  string `json:"fingerprint"`
	UploadedAt   string `json:"uploadedAt"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, errorBody(code, message))
}

func errorBody(code, message string) apiError {
	var e apiError
	e.Error.Code, e.Error.Message = code, message
	return e
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// route is a request for one app's key.
type route struct {
	project, app, platform string
}

// parseRoute splits the escaped path, so that an app ID holding "/" (sent as
// %2F) stays one segment.
func parseRoute(r *http.Request) (route, bool) {
	parts := strings.Split(r.URL.EscapedPath(), "/")
	// "", api, v1, projects, P, apps, A, publisher, platform, resource
	if len(parts) != 10 || parts[0] != "" || parts[1] != "api" || parts[2] != "v1" ||
		parts[3] != "projects" || parts[5] != "apps" || parts[7] != "publisher" {
		return route{}, false
	}
	switch parts[8] + "/" + parts[9] {
	case "ios/api-key", "android/service-account":
	default:
		return route{}, false
	}
	project, err1 := url.PathUnescape(parts[4])
	app, err2 := url.PathUnescape(parts[6])
	if err1 != nil || err2 != nil || project == "" || app == "" {
		return route{}, false
	}
	return route{project: project, app: app, platform: parts[8]}, true
}

// bearer returns the token of a well-formed Authorization header.
func bearer(r *http.Request) (string, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	records := !s.noRecords
	s.mu.Unlock()
	if art, ok := parseAppRoute(r); ok && records {
		s.serveApps(w, r, art)
		return
	}
	rt, ok := parseRoute(r)
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPut {
		w.Header().Set("Allow", "GET, PUT")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET or PUT")
		return
	}

	if !s.authorize(w, r, rt.project) {
		return
	}
	s.mu.Lock()
	_, projectExists := s.projects[rt.project]
	appExists := s.lookup(rt.project, rt.app) != nil
	s.mu.Unlock()
	switch {
	case !projectExists:
		writeError(w, http.StatusNotFound, "project_not_found", "no such project")
		return
	case !appExists:
		writeError(w, http.StatusNotFound, "app_not_found", "no such app in this project")
		return
	}

	if r.Method == http.MethodGet {
		s.get(w, rt)
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if rt.platform == IOS {
		s.putIOS(w, r, rt, body)
	} else {
		s.putAndroid(w, r, rt, body)
	}
}

// authorize answers 401 or 403 and returns false unless the request's token
// may access project. Access is checked before existence, so a token cannot
// probe for the names of projects it has no access to.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request, project string) bool {
	token, ok := bearer(r)
	s.mu.Lock()
	grants, known := s.tokens[token]
	allowed := grants[project]
	s.mu.Unlock()
	switch {
	case !ok || !known:
		w.Header().Set("WWW-Authenticate", `Bearer realm="mos.portal"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "missing or invalid bearer token")
		return false
	case !allowed:
		writeError(w, http.StatusForbidden, "forbidden", "token has no access to this project")
		return false
	}
	return true
}

func (s *Server) get(w http.ResponseWriter, rt route) {
	s.mu.Lock()
	sl := s.lookup(rt.project, rt.app)
	var ios *IOSRecord
	var android *AndroidRecord
	if sl != nil {
		ios, android = sl.ios, sl.android
	}
	s.mu.Unlock()

	switch {
	case rt.platform == IOS && ios != nil:
		writeJSON(w, http.StatusOK, iosJSON(*ios))
	case rt.platform == Android && android != nil:
		writeJSON(w, http.StatusOK, androidJSON(*android))
	case rt.platform == IOS:
		writeError(w, http.StatusNotFound, "key_not_found", "the app holds no iOS API key")
	default:
		writeError(w, http.StatusNotFound, "key_not_found", "the app holds no Android service-account key")
	}
}

func iosJSON(rec IOSRecord) iosKeyJSON {
	return iosKeyJSON{KeyID: rec.KeyID, IssuerID: rec.IssuerID, Fingerprint: rec.Fingerprint, UploadedAt: formatTime(rec.UploadedAt)}
}

func androidJSON(rec AndroidRecord) androidKeyJSON {
	return androidKeyJSON{ClientEmail: rec.ClientEmail, PrivateKeyID: rec.PrivateKeyID, Fingerprint: rec.Fingerprint, UploadedAt: formatTime(rec.UploadedAt)}
}

// readBody enforces the media type and the size limit of a PUT.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send Content-Type: application/json")
		return nil, false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "request_too_large", "request body exceeds 64 KiB")
		} else {
			writeError(w, http.StatusBadRequest, "invalid_key", "request body could not be read")
		}
		return nil, false
	}
	return body, true
}

// decodeObject unmarshals a JSON object body; any failure is the client's
// malformed request (400), not a wrong key (422).
func decodeObject(w http.ResponseWriter, body []byte, v any) bool {
	trimmed := strings.TrimSpace(string(body))
	if !strings.HasPrefix(trimmed, "{") || json.Unmarshal(body, v) != nil {
		writeError(w, http.StatusBadRequest, "invalid_key", "request body is not a JSON object with string fields")
		return false
	}
	return true
}

func (s *Server) putIOS(w http.ResponseWriter, r *http.Request, rt route, body []byte) {
	var in struct {
		KeyID      string `json:"keyId"`
		IssuerID   string `json:"issuerId"`
		PrivateKey string `json:"privateKey"`
	}
	if !decodeObject(w, body, &in) {
		return
	}
	fp, problem := validateIOS(in.KeyID, in.IssuerID, in.PrivateKey)
	if problem != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid_key", problem)
		return
	}

	s.mu.Lock()
	sl := s.lookup(rt.project, rt.app)
	if sl == nil { // removed meanwhile: not possible today, but never panic
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "app_not_found", "no such app in this project")
		return
	}
	status := http.StatusOK
	rec := IOSRecord{KeyID: in.KeyID, IssuerID: in.IssuerID, Fingerprint: fp, PrivateKey: in.PrivateKey, UploadedAt: s.now()}
	switch old := sl.ios; {
	case old == nil:
		status = http.StatusCreated
	case old.KeyID == rec.KeyID && old.IssuerID == rec.IssuerID && old.Fingerprint == rec.Fingerprint:
		rec.UploadedAt = old.UploadedAt // the same key again: idempotent
	}
	sl.ios = &rec
	s.mu.Unlock()

	if status == http.StatusCreated {
		w.Header().Set("Location", r.URL.EscapedPath())
	}
	writeJSON(w, status, iosJSON(rec))
}

func (s *Server) putAndroid(w http.ResponseWriter, r *http.Request, rt route, body []byte) {
	var in struct {
		ServiceAccountJSON string `json:"serviceAccountJson"`
	}
	if !decodeObject(w, body, &in) {
		return
	}
	sa, problem := validateAndroid(in.ServiceAccountJSON)
	if problem != "" {
		writeError(w, http.StatusUnprocessableEntity, "invalid_key", problem)
		return
	}

	s.mu.Lock()
	sl := s.lookup(rt.project, rt.app)
	if sl == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "app_not_found", "no such app in this project")
		return
	}
	status := http.StatusOK
	rec := AndroidRecord{ClientEmail: sa.clientEmail, PrivateKeyID: sa.privateKeyID, Fingerprint: sa.fingerprint,
		ServiceAccountJSON: in.ServiceAccountJSON, UploadedAt: s.now()}
	switch old := sl.android; {
	case old == nil:
		status = http.StatusCreated
	case old.ClientEmail == rec.ClientEmail && old.PrivateKeyID == rec.PrivateKeyID && old.Fingerprint == rec.Fingerprint:
		rec.UploadedAt = old.UploadedAt
	}
	sl.android = &rec
	s.mu.Unlock()

	if status == http.StatusCreated {
		w.Header().Set("Location", r.URL.EscapedPath())
	}
	writeJSON(w, status, androidJSON(rec))
}
