// Package portalstandin is an in-memory mos.portal that implements contract v1.1
// (docs/openapi.yaml) on loopback, for the tests and the sandbox command. It
// checks tokens, validates uploaded keys and computes their fingerprints the
// way a real server would, independently of the action's own key code, so a
// client bug cannot be mirrored by a stand-in bug.
package portalstandin

import (
	"net/http"
	"sync"
	"time"

	"github.com/mos-tools/publisher-keys/internal/standin/loopback"

	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

// Platforms, as they appear in request paths.
const (
	IOS     = "ios"
	Android = "android"
)

// IOSRecord is the App Store Connect key stored for one app.
type IOSRecord struct {
	KeyID       string
	IssuerID    string
	Fingerprint string
	PrivateKey  string // the PKCS#8 PEM as uploaded
	UploadedAt  time.Time
}

// AndroidRecord is the Google Play service-account key stored for one app.
type AndroidRecord struct {
	ClientEmail        string
	PrivateKeyID       string
	Fingerprint        string
	ServiceAccountJSON string // the JSON text as uploaded
	UploadedAt         time.Time
}

type slot struct {
	ios     *IOSRecord
	android *AndroidRecord
	record  *AppRecord // nil: the app has no store identities
}

// Server is the stand-in. It is safe for concurrent use.
type Server struct {
	// Now is the clock for uploadedAt (nil: time.Now). Set it before the
	// server receives requests.
	Now func() time.Time

	faults *fault.Injector

	mu       sync.Mutex
	tokens   map[string]map[string]bool  // token → projects it may access
	projects map[string]map[string]*slot // project → app → stored keys

	pageSize  int  // app records per page of the listing; < 1: DefaultPageSize
	noRecords bool // answer the app routes as a contract v1 portal: 404 not_found
}

// New returns an empty portal: no tokens, no projects.
func New() *Server {
	return &Server{
		faults:   fault.New(),
		tokens:   map[string]map[string]bool{},
		projects: map[string]map[string]*slot{},
	}
}

// AddToken lets token access projects (in addition to any it already had).
// Any other token is answered 401; a known token on another project 403. An
// empty token never authenticates.
func (s *Server) AddToken(token string, projects ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	grants := s.tokens[token]
	if grants == nil {
		grants = map[string]bool{}
		s.tokens[token] = grants
	}
	for _, p := range projects {
		grants[p] = true
	}
}

// AddApp creates the app (and its project) with no keys. Adding an existing
// app changes nothing.
func (s *Server) AddApp(project, app string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slotLocked(project, app)
}

func (s *Server) slotLocked(project, app string) *slot {
	apps := s.projects[project]
	if apps == nil {
		apps = map[string]*slot{}
		s.projects[project] = apps
	}
	sl := apps[app]
	if sl == nil {
		sl = &slot{}
		apps[app] = sl
	}
	return sl
}

func (s *Server) lookup(project, app string) *slot {
	return s.projects[project][app]
}

// IOSKey returns the iOS key stored for the app, if any.
func (s *Server) IOSKey(project, app string) (IOSRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.lookup(project, app)
	if sl == nil || sl.ios == nil {
		return IOSRecord{}, false
	}
	return *sl.ios, true
}

// AndroidKey returns the Android key stored for the app, if any.
func (s *Server) AndroidKey(project, app string) (AndroidRecord, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.lookup(project, app)
	if sl == nil || sl.android == nil {
		return AndroidRecord{}, false
	}
	return *sl.android, true
}

// SetIOSKey stores rec as is, creating the app if needed, to preload state
// (an older key, or a record a buggy portal would hold). Nothing is validated.
func (s *Server) SetIOSKey(project, app string, rec IOSRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slotLocked(project, app).ios = &rec
}

// SetAndroidKey stores rec as is, creating the app if needed.
func (s *Server) SetAndroidKey(project, app string, rec AndroidRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.slotLocked(project, app).android = &rec
}

// Faults returns the injector in front of the handler.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Requests counts the requests with method (any if empty) that arrived for
// the app's key of platform (IOS or Android), faulted or not.
func (s *Server) Requests(method, project, app, platform string) int {
	return s.faults.RequestsTo(method, Path(project, app, platform))
}

// Path is the unescaped request path of the app's key of platform.
func Path(project, app, platform string) string {
	resource := "api-key"
	if platform == Android {
		resource = "service-account"
	}
	return "/api/v1/projects/" + project + "/apps/" + app + "/publisher/" + platform + "/" + resource
}

// Handler serves contract v1.1 behind the fault injector.
func (s *Server) Handler() http.Handler {
	return s.faults.Wrap(http.HandlerFunc(s.serve))
}

// Start serves Handler on 127.0.0.1 at a free port. stop closes the server
// and every open connection, hung ones included; it may be called more than
// once.
func (s *Server) Start() (baseURL string, stop func(), err error) {
	return loopback.Serve(s.Handler(), nil)
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}
