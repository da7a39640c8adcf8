package ascstandin

import (
	"crypto/ecdsa"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mos-tools/publisher-keys/internal/standin/loopback"

	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

// Roles of App Store Connect API team keys.
const (
	RoleAdmin      = "ADMIN"
	RoleAppManager = "APP_MANAGER"
	RoleDeveloper  = "DEVELOPER"
	RoleFinance    = "FINANCE"
	RoleSales      = "SALES"
	RoleMarketing  = "MARKETING"
)

// appReaders are the roles that may read apps. Apple documents Admin and
// App Manager as managing apps and Developer as reading and updating app
// metadata (Developer keys are reported to get 200 on GET /v1/apps); Finance,
// Sales and the other roles have no access to apps, so they get 403 here.
var appReaders = map[string]bool{RoleAdmin: true, RoleAppManager: true, RoleDeveloper: true}

// DefaultRateLimit is the requests per rolling hour per key that Apple
// announces in X-Rate-Limit for most accounts.
const DefaultRateLimit = 3600

// Key is an API key registered with the stand-in: a team key, or with
// Individual an individual key.
type Key struct {
	KeyID    string
	IssuerID string // the team
	Public   *ecdsa.PublicKey
	Role     string // one of the Role constants; empty means RoleAdmin
	Revoked  bool
	// Individual makes it an individual API key, as Apple has them: its
	// tokens carry sub "user" and no iss, and a team key's token (with iss)
	// signed by it is refused with 401 NOT_AUTHORIZED.
	Individual bool
}

// App is an app of a team.
type App struct {
	ID            string
	BundleID      string
	Name          string
	SKU           string // empty: derived from the bundle ID
	PrimaryLocale string // empty: "en-US"
	IssuerID      string // the team that owns the app
}

// Agreement is how a team's agreements with Apple show in the API.
type Agreement int

const (
	// AgreementInEffect: every agreement the team needs is accepted; the
	// default.
	AgreementInEffect Agreement = iota
	// AgreementExpired: Apple updated an agreement (the Program License
	// Agreement, about twice a year) and the team's Account Holder has not
	// accepted it yet. Every call of the team, once its token is verified,
	// gets 403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED.
	AgreementExpired
	// AgreementHidesApps: the API answers, but shows none of the team's
	// apps, as a pending agreement can make it: GET /v1/apps lists none and
	// GET /v1/apps/{id} is 404.
	AgreementHidesApps
)

// Token is the decoded header and claims of a bearer token the stand-in saw.
type Token struct {
	Header map[string]any
	Claims map[string]any
	// Rejected says why the stand-in refused the token; empty if accepted.
	Rejected string
}

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock used for token times and the rate limit window.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithClockOffset shifts the stand-in's clock by d from the one WithClock
// (or time.Now) gives: tokens are judged by the shifted clock and the Date
// header is sent from it, as Apple's would be when a runner's clock is off
// by -d.
func WithClockOffset(d time.Duration) Option {
	return func(s *Server) { s.offset = d }
}

// WithRateLimit sets the requests each key may make per rolling hour.
// Zero refuses every authenticated request with 429; negative is ignored.
func WithRateLimit(limitPerHour int) Option {
	return func(s *Server) {
		if limitPerHour >= 0 {
			s.limit = limitPerHour
		}
	}
}

// Server is the stand-in. It is safe for concurrent use.
type Server struct {
	now     func() time.Time
	offset  time.Duration // see WithClockOffset; read through clock
	limit   int
	faults  *fault.Injector
	handler http.Handler
	count   atomic.Int64

	mu         sync.Mutex
	keys       map[string]Key
	apps       []App
	agreements map[string]Agreement   // per issuer ID; absent: AgreementInEffect
	used       map[string][]time.Time // per key ID: times of the requests in the last hour
	last       Token
	seen       bool
}

// New returns a stand-in with no keys and no apps.
func New(opts ...Option) *Server {
	s := &Server{
		now:        time.Now,
		limit:      DefaultRateLimit,
		faults:     fault.New(),
		keys:       map[string]Key{},
		agreements: map[string]Agreement{},
		used:       map[string][]time.Time{},
	}
	for _, o := range opts {
		o(s)
	}
	s.handler = s.faults.Wrap(http.HandlerFunc(s.serve))
	return s
}

// AddKey registers k, replacing a key with the same Key ID.
func (s *Server) AddKey(k Key) {
	if k.Role == "" {
		k.Role = RoleAdmin
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[k.KeyID] = k
}

// RevokeKey revokes the key with keyID; tokens it signed are refused from now on.
func (s *Server) RevokeKey(keyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.keys[keyID]; ok {
		k.Revoked = true
		s.keys[keyID] = k
	}
}

// SetAgreement sets how the agreements of the team issuerID show in the
// API, from the next request on.
func (s *Server) SetAgreement(issuerID string, a Agreement) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a == AgreementInEffect {
		delete(s.agreements, issuerID)
		return
	}
	s.agreements[issuerID] = a
}

func (s *Server) agreement(issuerID string) Agreement {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.agreements[issuerID]
}

// AddApp adds a to its team, replacing an app with the same ID.
func (s *Server) AddApp(a App) {
	if a.SKU == "" {
		a.SKU = strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(a.BundleID))
	}
	if a.PrimaryLocale == "" {
		a.PrimaryLocale = "en-US"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.apps {
		if s.apps[i].ID == a.ID {
			s.apps[i] = a
			return
		}
	}
	s.apps = append(s.apps, a)
}

// Faults returns the injector in front of the API.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Handler returns the API behind its fault injector.
func (s *Server) Handler() http.Handler { return s.handler }

// Requests returns how many requests to /v1/ reached the API, that is got
// past the fault injector, whatever the answer.
func (s *Server) Requests() int { return int(s.count.Load()) }

// LastToken returns the last bearer token the stand-in decoded, verified or
// not, and false if none has come yet.
func (s *Server) LastToken() (Token, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Token{Header: maps.Clone(s.last.Header), Claims: maps.Clone(s.last.Claims), Rejected: s.last.Rejected}, s.seen
}

// Start serves the stand-in on a free port of 127.0.0.1 and returns its base
// URL (no trailing slash) and a function that stops it.
func (s *Server) Start() (baseURL string, stop func(), err error) {
	return loopback.Serve(s.Handler(), nil)
}

// clock is the stand-in's time: the one it judges tokens by and sends as
// Date.
func (s *Server) clock() time.Time { return s.now().Add(s.offset) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		s.count.Add(1)
	}
	// Apple's answers carry its clock; net/http would send the host's.
	w.Header().Set("Date", s.clock().UTC().Format(http.TimeFormat))
	key, ok := s.authenticate(r)
	if !ok {
		s.setRateHeader(w, s.remaining(key.KeyID))
		writeError(w, http.StatusUnauthorized, notAuthorized())
		return
	}
	rem, ok := s.take(key.KeyID)
	s.setRateHeader(w, rem)
	if !ok {
		writeError(w, http.StatusTooManyRequests, rateLimited())
		return
	}
	// An agreement not accepted refuses every call of the team, whatever the
	// path, role or method: see agreementMissing. It comes after the token
	// check, since only a verified token names the team.
	if s.agreement(key.IssuerID) == AgreementExpired {
		writeError(w, http.StatusForbidden, agreementMissing())
		return
	}
	s.route(w, r, key)
}

func (s *Server) setRateHeader(w http.ResponseWriter, remaining int) {
	w.Header().Set("X-Rate-Limit", fmt.Sprintf("user-hour-lim:%d;user-hour-rem:%d;", s.limit, remaining))
}

// take charges one request to keyID in the rolling hour and returns what is
// left, or false when nothing was left.
func (s *Server) take(keyID string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock()
	used := s.prune(keyID, now)
	if len(used) >= s.limit {
		return 0, false
	}
	s.used[keyID] = append(used, now)
	return s.limit - len(used) - 1, true
}

// remaining is what keyID has left, without charging it ("" or unknown: all).
func (s *Server) remaining(keyID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return max(s.limit-len(s.prune(keyID, s.clock())), 0)
}

// prune drops the requests older than an hour. Callers hold s.mu.
func (s *Server) prune(keyID string, now time.Time) []time.Time {
	used := s.used[keyID]
	cut := 0
	for cut < len(used) && !used[cut].After(now.Add(-time.Hour)) {
		cut++
	}
	used = used[cut:]
	if len(used) == 0 {
		delete(s.used, keyID)
		return nil
	}
	s.used[keyID] = used
	return used
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, key Key) {
	const collection = "/v1/apps"
	path := r.URL.Path
	id, isInstance := strings.CutPrefix(path, collection+"/")
	if path != collection && (!isInstance || id == "" || strings.Contains(id, "/")) {
		writeError(w, http.StatusNotFound, notFound(notFoundPathDetail))
		return
	}
	if !appReaders[key.Role] {
		writeError(w, http.StatusForbidden, forbidden(forbiddenDetail))
		return
	}
	switch {
	case r.Method == http.MethodGet && isInstance:
		s.getApp(w, r, key, id)
	case r.Method == http.MethodGet:
		s.listApps(w, r, key)
	case r.Method == http.MethodPost && !isInstance:
		writeError(w, http.StatusForbidden, operationForbidden("CREATE"))
	case r.Method == http.MethodDelete && isInstance:
		writeError(w, http.StatusForbidden, operationForbidden("DELETE"))
	default:
		// Real App Store Connect would update an app on PATCH; the stand-in is read-only.
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, http.StatusMethodNotAllowed, methodNotAllowed(r.Method))
	}
}

func (s *Server) teamApps(issuerID string) []App {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.agreements[issuerID] == AgreementHidesApps {
		return nil
	}
	var out []App
	for _, a := range s.apps {
		if a.IssuerID == issuerID {
			out = append(out, a)
		}
	}
	return out
}
