package portalstandin

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// DefaultPageSize is how many app records one page of the listing holds
// unless SetPageSize says otherwise: the contract's maximum.
const DefaultPageSize = 100

// AppRecord is what the portal knows of an app (contract v1.1): its
// identifier, display name and store identities. An empty BundleID or
// PackageName is sent as null: the app is not built for that platform.
type AppRecord struct {
	ID          string
	Name        string // "" is sent as the ID
	BundleID    string // iOS bundle ID
	PackageName string // Android package name
}

type appJSON struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`
	IOS     *iosIDJSON     `json:"ios"`
	Android *androidIDJSON `json:"android"`
}

type iosIDJSON struct {
	BundleID string `json:"bundleId"`
}

type androidIDJSON struct {
	PackageName string `json:"packageName"`
}

type appPageJSON struct {
	Apps []appJSON `json:"apps"`
	Next *string   `json:"next"`
}

// SetAppRecord stores rec as the record of app rec.ID in project, creating
// the app (and the project) if needed, and keeps any keys it holds. Nothing
// is validated, so a test can preload a record a buggy portal would send.
// An app created by AddApp alone has a record with no store identities.
func (s *Server) SetAppRecord(project string, rec AppRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := rec
	s.slotLocked(project, rec.ID).record = &r
}

// SetPageSize sets how many records a page of the listing holds; n < 1
// restores DefaultPageSize.
func (s *Server) SetPageSize(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageSize = n
}

// SetNoAppRecords makes the server behave as a portal of contract v1, which
// keeps no app records: both app routes answer 404 not_found ("no such
// endpoint"), as for any path the portal does not serve.
func (s *Server) SetNoAppRecords(none bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noRecords = none
}

// AppsPath is the unescaped path of the project's app listing.
func AppsPath(project string) string { return "/api/v1/projects/" + project + "/apps" }

// AppPath is the unescaped path of one app's record.
func AppPath(project, app string) string { return AppsPath(project) + "/" + app }

// appRoute is a request for the listing (app == "") or for one app record.
type appRoute struct {
	project, app string
}

// parseAppRoute recognises /api/v1/projects/{project}/apps and
// /api/v1/projects/{project}/apps/{app}, on the escaped path as parseRoute.
func parseAppRoute(r *http.Request) (appRoute, bool) {
	parts := strings.Split(r.URL.EscapedPath(), "/")
	// "", api, v1, projects, P, apps[, A]
	if (len(parts) != 6 && len(parts) != 7) || parts[0] != "" || parts[1] != "api" || parts[2] != "v1" ||
		parts[3] != "projects" || parts[5] != "apps" {
		return appRoute{}, false
	}
	project, err := url.PathUnescape(parts[4])
	if err != nil || project == "" {
		return appRoute{}, false
	}
	rt := appRoute{project: project}
	if len(parts) == 7 {
		if rt.app, err = url.PathUnescape(parts[6]); err != nil || rt.app == "" {
			return appRoute{}, false
		}
	}
	return rt, true
}

// serveApps answers the two app routes; the order of checks is the key
// routes': method, token, access, project, app.
func (s *Server) serveApps(w http.ResponseWriter, r *http.Request, rt appRoute) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use GET")
		return
	}
	if !s.authorize(w, r, rt.project) {
		return
	}
	status, body := s.appsAnswer(rt, r.URL.Query().Get("cursor"))
	writeJSON(w, status, body)
}

// appsAnswer builds the answer under the lock; it is written after.
func (s *Server) appsAnswer(rt appRoute, cursor string) (int, any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	apps, projectExists := s.projects[rt.project]
	if !projectExists {
		return http.StatusNotFound, errorBody("project_not_found", "no such project")
	}
	if rt.app != "" {
		sl := apps[rt.app]
		if sl == nil {
			return http.StatusNotFound, errorBody("app_not_found", "no such app in this project")
		}
		return http.StatusOK, recordJSON(rt.app, sl.record)
	}

	ids := make([]string, 0, len(apps))
	for id := range apps {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	start := 0
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(after) == 0 {
			return http.StatusBadRequest, errorBody("invalid_cursor", "the cursor is not one this portal issued")
		}
		start = sort.SearchStrings(ids, string(after))
		if start < len(ids) && ids[start] == string(after) {
			start++
		}
	}
	size := s.pageSize
	if size < 1 {
		size = DefaultPageSize
	}
	end := min(start+size, len(ids))
	page := appPageJSON{Apps: make([]appJSON, 0, end-start)}
	for _, id := range ids[start:end] {
		page.Apps = append(page.Apps, recordJSON(id, apps[id].record))
	}
	if end < len(ids) {
		// The cursor names the last app sent, so apps added meanwhile
		// neither repeat nor shift the pages that follow.
		next := base64.RawURLEncoding.EncodeToString([]byte(ids[end-1]))
		page.Next = &next
	}
	return http.StatusOK, page
}

func recordJSON(id string, rec *AppRecord) appJSON {
	if rec == nil {
		return appJSON{ID: id, Name: id}
	}
	out := appJSON{ID: rec.ID, Name: rec.Name}
	if out.Name == "" {
		out.Name = rec.ID
	}
	if rec.BundleID != "" {
		out.IOS = &iosIDJSON{BundleID: rec.BundleID}
	}
	if rec.PackageName != "" {
		out.Android = &androidIDJSON{PackageName: rec.PackageName}
	}
	return out
}
