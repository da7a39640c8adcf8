package googlestandin

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mos-tools/publisher-keys/internal/standin/loopback"

	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

// Scope is the OAuth scope of the Google Play Developer API.
const Scope = "https://www.googleapis.com/auth/androidpublisher"

// Option configures a Server.
type Option func(*Server)

// WithClock sets the clock for assertion times, token and edit expiry.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// WithTokenTTL sets how long an access token lives (default 1h).
func WithTokenTTL(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.tokenTTL = d
		}
	}
}

// WithEditTTL sets how long an edit stays open (default 1h).
func WithEditTTL(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.editTTL = d
		}
	}
}

type account struct {
	project string                    // the Cloud project number
	keys    map[string]*rsa.PublicKey // by key ID (private_key_id)
}

type accessToken struct {
	email  string
	scopes []string
	expiry time.Time
}

type editState int

const (
	editOpen editState = iota
	editDeleted
	editSuperseded // invalidated by a newer edit of the same account and package
)

type edit struct {
	id, pkg, email string
	expiry         time.Time
	state          editState
}

// Server is the stand-in. It is safe for concurrent use.
type Server struct {
	now      func() time.Time
	tokenTTL time.Duration
	editTTL  time.Duration
	faults   *fault.Injector
	handler  http.Handler

	mu       sync.Mutex
	accounts map[string]*account        // by client email
	disabled map[string]bool            // project numbers with the API disabled
	packages map[string]map[string]bool // package → emails granted in Play Console
	tokens   map[string]accessToken
	edits    map[string]*edit
	issued   int
	validity map[string]validity // by email + "\x00" + key ID; see SetKeyValidity
	started  time.Time           // the default creation time of a key
	opened   int                 // edits ever opened
	reads    int                 // track release lists answered 200

	issuerOnce sync.Once
	issuer     *ecdsa.PrivateKey
	issuerErr  error
}

// New returns a stand-in with no accounts and no packages.
func New(opts ...Option) *Server {
	s := &Server{
		now:      time.Now,
		tokenTTL: time.Hour,
		editTTL:  time.Hour,
		faults:   fault.New(),
		accounts: map[string]*account{},
		disabled: map[string]bool{},
		packages: map[string]map[string]bool{},
		tokens:   map[string]accessToken{},
		edits:    map[string]*edit{},
		validity: map[string]validity{},
	}
	for _, o := range opts {
		o(s)
	}
	s.started = s.now().UTC().Truncate(time.Second)
	mux := http.NewServeMux()
	mux.HandleFunc("/token", s.serveToken)
	mux.HandleFunc("/androidpublisher/v3/", s.servePlay)
	mux.HandleFunc(CertPath, s.serveCerts)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeAPIError(w, notFoundPath())
	})
	s.handler = s.faults.Wrap(mux)
	return s
}

// AddServiceAccount registers the key keyID of the service account email,
// which belongs to the Cloud project projectNumber. Calling it again for the
// same account adds a key, as creating a second key in Google Cloud does.
func (s *Server) AddServiceAccount(email, keyID string, pub *rsa.PublicKey, projectNumber string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.accounts[email]
	if !ok {
		a = &account{keys: map[string]*rsa.PublicKey{}}
		s.accounts[email] = a
	}
	a.project = projectNumber
	a.keys[keyID] = pub
}

// DeleteKey deletes one key of a service account, as rotating it does.
func (s *Server) DeleteKey(email, keyID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.accounts[email]; ok {
		delete(a.keys, keyID)
	}
}

// DeleteServiceAccount deletes the account, its keys and its tokens.
func (s *Server) DeleteServiceAccount(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, email)
	for tok, t := range s.tokens {
		if t.email == email {
			delete(s.tokens, tok)
		}
	}
}

// AddPackage adds an app to Play Console (as the first upload by hand does)
// and grants it to the given service accounts. Calling it again adds grants.
func (s *Server) AddPackage(pkg string, grantedEmails ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.packages[pkg]
	if !ok {
		g = map[string]bool{}
		s.packages[pkg] = g
	}
	for _, e := range grantedEmails {
		g[e] = true
	}
}

// RevokeAccess removes the grant of pkg to email in Play Console.
func (s *Server) RevokeAccess(pkg, email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.packages[pkg], email)
}

// DisableAPI disables the Google Play Android Developer API in a project.
func (s *Server) DisableAPI(projectNumber string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.disabled[projectNumber] = true
}

// EnableAPI enables the Google Play Android Developer API in a project.
func (s *Server) EnableAPI(projectNumber string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.disabled, projectNumber)
}

// OpenEdits counts the edits of pkg that are open: neither deleted, nor
// invalidated by a newer edit, nor expired.
func (s *Server) OpenEdits(pkg string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, e := range s.edits {
		if e.pkg == pkg && e.state == editOpen && now.Before(e.expiry) {
			n++
		}
	}
	return n
}

// TotalOpenEdits counts the open edits of all packages.
func (s *Server) TotalOpenEdits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	n := 0
	for _, e := range s.edits {
		if e.state == editOpen && now.Before(e.expiry) {
			n++
		}
	}
	return n
}

// EditsOpened counts the edits ever opened, of any package: zero proves a
// run touched no edit of a release in progress.
func (s *Server) EditsOpened() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opened
}

// ReleaseReads counts the track release lists answered with 200.
func (s *Server) ReleaseReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

// TokensIssued counts the access tokens the token endpoint handed out.
func (s *Server) TokensIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issued
}

// Faults returns the injector in front of both endpoints.
func (s *Server) Faults() *fault.Injector { return s.faults }

// Handler returns both endpoints behind the fault injector.
func (s *Server) Handler() http.Handler { return s.handler }

// Start serves the stand-in on a free port of 127.0.0.1 and returns its base
// URL (no trailing slash; the token endpoint is baseURL+"/token") and a
// function that stops it.
func (s *Server) Start() (baseURL string, stop func(), err error) {
	return loopback.Serve(s.Handler(), s.faults.Close)
}

// randomDigits returns n random decimal digits, like Google's edit IDs.
func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, err := rand.Int(rand.Reader, big.NewInt(10))
		if err != nil {
			panic(err) // crypto/rand does not fail
		}
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
