package ascstandin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	testKeyID  = "ABCDE12345"
	testIssuer = "57246542-96fe-1a63-e053-0824d011072a"
	otherTeam  = "69a6de8d-e294-47e3-e053-5b8c7c11a4d1"
)

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// clock is a settable clock for the stand-in.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	srv   *Server
	url   string
	clock *clock
	priv  *ecdsa.PrivateKey
}

// setup starts a stand-in on loopback with one admin key of testIssuer and
// the apps of two teams.
func setup(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	c := &clock{t: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)}
	srv := New(append([]Option{WithClock(c.Now)}, opts...)...)
	priv := newKey(t)
	srv.AddKey(Key{KeyID: testKeyID, IssuerID: testIssuer, Public: &priv.PublicKey, Role: RoleAdmin})
	srv.AddApp(App{ID: "1000000001", BundleID: "com.example.alpha", Name: "Alpha", IssuerID: testIssuer})
	srv.AddApp(App{ID: "1000000002", BundleID: "com.example.beta", Name: "Beta", SKU: "BETA1", PrimaryLocale: "de-DE", IssuerID: testIssuer})
	srv.AddApp(App{ID: "1000000003", BundleID: "com.example.gamma", Name: "Gamma", IssuerID: testIssuer})
	srv.AddApp(App{ID: "2000000001", BundleID: "org.other.app", Name: "Other", IssuerID: otherTeam})
	base, stop, err := srv.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(stop)
	return &fixture{srv: srv, url: base, clock: c, priv: priv}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("failed to generate key: %v", err)
	}
	return k
}

// validParts returns the header and claims of a token Apple accepts.
func (f *fixture) validParts() (map[string]any, jwt.MapClaims) {
	iat := f.clock.Now().Add(-30 * time.Second)
	return map[string]any{"alg": "ES256", "kid": testKeyID, "typ": "JWT"},
		jwt.MapClaims{"iss": testIssuer, "iat": iat.Unix(), "exp": iat.Add(10 * time.Minute).Unix(), "aud": "appstoreconnect-v1"}
}

// sign signs header and claims with method and key.
func sign(t testing.TB, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	tok.Header = header
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("failed to sign token: %v", err)
	}
	return s
}

func (f *fixture) validToken(t testing.TB) string {
	t.Helper()
	h, c := f.validParts()
	return sign(t, jwt.SigningMethodES256, f.priv, h, c)
}

// do sends one request and returns the answer with its body read.
func do(t *testing.T, method, url, authorization string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatalf("NewRequest: %v", err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("failed to read body: %v", err)
	}
	return resp, body
}

// decodeError reads an error document and checks its one error's id.
func decodeError(t *testing.T, body []byte) errorObject {
	t.Helper()
	var doc errorDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, body)
	}
	if len(doc.Errors) != 1 {
		t.Fatalf("want one error, got %d:\n%s", len(doc.Errors), body)
	}
	e := doc.Errors[0]
	if !uuidPattern.MatchString(e.ID) {
		t.Errorf("errors[0].id = %q, want a UUID", e.ID)
	}
	e.ID = ""
	return e
}
