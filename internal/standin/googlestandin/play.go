package googlestandin

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const appsPrefix = "/androidpublisher/v3/applications/"

var packageRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)

type editJSON struct {
	ID                string `json:"id"`
	ExpiryTimeSeconds string `json:"expiryTimeSeconds"`
}

// servePlay serves edits.insert (POST …/edits), edits.get (GET …/edits/{id}),
// edits.delete (DELETE …/edits/{id}) and tracks.releases.list (GET
// …/tracks/{track}/releases), which reads a track without an edit.
func (s *Server) servePlay(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, appsPrefix)
	if !ok {
		writeAPIError(w, notFoundPath())
		return
	}
	parts := strings.Split(rest, "/")
	if len(parts) == 4 && parts[1] == "tracks" && parts[3] == "releases" && parts[0] != "" && parts[2] != "" {
		s.serveReleases(w, r, parts[0], parts[2])
		return
	}
	if len(parts) < 2 || parts[1] != "edits" || len(parts) > 3 || parts[0] == "" {
		writeAPIError(w, notFoundPath())
		return
	}
	pkg := parts[0]
	var editID string
	if len(parts) == 3 {
		editID = parts[2]
		if editID == "" {
			writeAPIError(w, notFoundPath())
			return
		}
	}
	switch {
	case editID == "" && r.Method != http.MethodPost,
		editID != "" && r.Method != http.MethodGet && r.Method != http.MethodDelete:
		writeAPIError(w, methodNotAllowed())
		return
	}

	email, aerr, ok := s.authorize(r, pkg)
	if !ok {
		writeAPIError(w, aerr)
		return
	}
	switch {
	case editID == "":
		s.insertEdit(w, r, pkg, email)
	case r.Method == http.MethodGet:
		s.getEdit(w, pkg, email, editID)
	default:
		s.deleteEdit(w, pkg, email, editID)
	}
}

// authorize checks what Google checks before it touches an app: a valid
// access token with the androidpublisher scope, the API enabled in the
// caller's project, the package in Play Console, and the caller's grant.
func (s *Server) authorize(r *http.Request, pkg string) (string, apiError, bool) {
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", credentialsMissing(), false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens[strings.TrimSpace(tok)]
	if !ok || !s.now().Before(t.expiry) {
		return "", invalidCredentials(), false
	}
	acct, ok := s.accounts[t.email]
	if !ok {
		return "", invalidCredentials(), false
	}
	if s.disabled[acct.project] {
		return "", serviceDisabled(acct.project), false
	}
	if !slices.Contains(t.scopes, Scope) {
		return "", insufficientScopes(), false
	}
	grants, ok := s.packages[pkg]
	if !ok || !packageRe.MatchString(pkg) {
		return "", packageNotFound(pkg), false
	}
	if !grants[t.email] {
		return "", permissionDenied(), false
	}
	return t.email, apiError{}, true
}

func (s *Server) insertEdit(w http.ResponseWriter, r *http.Request, pkg, email string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		writeAPIError(w, badRequest("Could not read the request body."))
		return
	}
	if len(strings.TrimSpace(string(body))) > 0 {
		var v map[string]any
		if json.Unmarshal(body, &v) != nil {
			writeAPIError(w, badRequest("Invalid JSON payload received."))
			return
		}
	}
	s.mu.Lock()
	now := s.now()
	// Each API user has at most one active edit per app: a new one
	// invalidates the older ones of the same user and app.
	for _, e := range s.edits {
		if e.pkg == pkg && e.email == email && e.state == editOpen {
			e.state = editSuperseded
		}
	}
	e := &edit{id: randomDigits(20), pkg: pkg, email: email, expiry: now.Add(s.editTTL)}
	s.edits[e.id] = e
	s.opened++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, editJSON{ID: e.id, ExpiryTimeSeconds: strconv.FormatInt(e.expiry.Unix(), 10)})
}

// lookupEdit finds an edit of pkg made by email; callers hold s.mu.
func (s *Server) lookupEdit(pkg, email, id string) (*edit, apiError, bool) {
	e, ok := s.edits[id]
	if !ok || e.pkg != pkg || e.email != email {
		return nil, editNotFound(), false
	}
	if e.state != editOpen || !s.now().Before(e.expiry) {
		return nil, editDeletedError(), false
	}
	return e, apiError{}, true
}

func (s *Server) getEdit(w http.ResponseWriter, pkg, email, id string) {
	s.mu.Lock()
	e, aerr, ok := s.lookupEdit(pkg, email, id)
	var out editJSON
	if ok {
		out = editJSON{ID: e.id, ExpiryTimeSeconds: strconv.FormatInt(e.expiry.Unix(), 10)}
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, aerr)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteEdit(w http.ResponseWriter, pkg, email, id string) {
	s.mu.Lock()
	e, aerr, ok := s.lookupEdit(pkg, email, id)
	if ok {
		e.state = editDeleted
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, aerr)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveReleases lists the releases of a track, as tracks.releases.list does:
// {"kind":"androidpublisher#releaseList","releases":[…]}. The stand-in's apps
// have one completed release on production and none elsewhere, so an answer
// without releases is seen too.
func (s *Server) serveReleases(w http.ResponseWriter, r *http.Request, pkg, track string) {
	if r.Method != http.MethodGet {
		writeAPIError(w, methodNotAllowed())
		return
	}
	if _, aerr, ok := s.authorize(r, pkg); !ok {
		writeAPIError(w, aerr)
		return
	}
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	type release struct {
		Name         string   `json:"name"`
		VersionCodes []string `json:"versionCodes"`
		Status       string   `json:"status"`
	}
	out := struct {
		Kind     string    `json:"kind"`
		Releases []release `json:"releases,omitempty"`
	}{Kind: "androidpublisher#releaseList"}
	if track == "production" {
		out.Releases = []release{{Name: "1.0", VersionCodes: []string{"1"}, Status: "completed"}}
	}
	writeJSON(w, http.StatusOK, out)
}
