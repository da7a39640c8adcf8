package appstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	testKeyID    = "ABCDE12345"
	testIssuerID = "57246542-96fe-1a63-e053-0824d011072a"
)

var fixedNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// decodedToken renders the header and claims segments of a JWT as indented
// JSON in the order they were encoded, so the golden file shows the exact
// bytes Apple will read (e.g. aud a string, not an array).
func decodedToken(t *testing.T, token string) []byte {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d segments, want 3", len(parts))
	}
	var out bytes.Buffer
	for _, seg := range parts[:2] {
		raw, err := base64.RawURLEncoding.DecodeString(seg)
		if err != nil {
			t.Fatalf("segment is not base64url: %v", err)
		}
		if err := json.Indent(&out, raw, "", "  "); err != nil {
			t.Fatalf("segment is not JSON: %v", err)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

// compareTokenGolden compares the decoded header and claims of token with
// testdata/name (rewritten with -update).
func compareTokenGolden(t *testing.T, token, name string) {
	t.Helper()
	got := decodedToken(t, token)
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("decoded token differs from %s (-update to accept):\n got:\n%s\nwant:\n%s", golden, got, want)
	}
}

func TestSignerGolden(t *testing.T) {
	t.Parallel()
	key := newKey(t, elliptic.P256())
	s := &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: key, Now: func() time.Time { return fixedNow }}
	token, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	compareTokenGolden(t, token, "token.golden")

	// The signature must verify with the public half, with Apple's rules.
	var c claims
	parsed, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}),
		jwt.WithAudience(Audience),
		jwt.WithIssuer(testIssuerID),
		jwt.WithIssuedAt(),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return fixedNow }),
	)
	if err != nil || !parsed.Valid {
		t.Fatalf("token does not verify: %v", err)
	}
	if d := c.ExpiresAt - c.IssuedAt; d <= 0 || d > 20*60 {
		t.Errorf("exp - iat = %ds, want within (0, 1200]", d)
	}
	if got, want := c.IssuedAt, fixedNow.Add(-Backdate).Unix(); got != want {
		t.Errorf("iat = %d, want %d", got, want)
	}

	// Another key must not verify it.
	other := newKey(t, elliptic.P256())
	if _, err := jwt.ParseWithClaims(token, &claims{}, func(*jwt.Token) (any, error) { return &other.PublicKey, nil },
		jwt.WithTimeFunc(func() time.Time { return fixedNow })); err == nil {
		t.Error("token verified with an unrelated public key")
	}
}

// TestIndividualTokenGolden pins the claims of an individual key's token:
// sub "user", no iss, the same kid; the one Check sends after a 401.
func TestIndividualTokenGolden(t *testing.T) {
	t.Parallel()
	key := newKey(t, elliptic.P256())
	s := &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: key, Now: func() time.Time { return fixedNow }}
	token, err := s.IndividualToken()
	if err != nil {
		t.Fatal(err)
	}
	compareTokenGolden(t, token, "individual-token.golden")
	if _, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return &key.PublicKey, nil },
		jwt.WithValidMethods([]string{"ES256"}), jwt.WithAudience(Audience), jwt.WithSubject("user"),
		jwt.WithTimeFunc(func() time.Time { return fixedNow })); err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	if tt, _ := s.Token(); tt == token {
		t.Error("the team token is the individual token")
	}
}

func TestSignerCaches(t *testing.T) {
	t.Parallel()
	now := fixedNow
	s := &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: newKey(t, elliptic.P256()), Now: func() time.Time { return now }}
	first, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(5 * time.Minute)
	second, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	if first != second {
		t.Error("a second call within the token's life signed a new token; want one token per run")
	}
	now = now.Add(5 * time.Minute) // past exp − renewBefore
	third, err := s.Token()
	if err != nil {
		t.Fatal(err)
	}
	if third == first {
		t.Error("a token about to expire was reused")
	}
}

func TestSignerRejects(t *testing.T) {
	t.Parallel()
	p256 := newKey(t, elliptic.P256())
	cases := []struct {
		name    string
		s       *Signer
		wantErr string
	}{
		{"no key", &Signer{KeyID: testKeyID, IssuerID: testIssuerID}, "no private key"},
		{"P-384 key", &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: newKey(t, elliptic.P384())}, "not a P-256 key"},
		{"no key ID", &Signer{IssuerID: testIssuerID, Key: p256}, "no Key ID"},
		{"no issuer ID", &Signer{KeyID: testKeyID, Key: p256}, "no Issuer ID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tok, err := tc.s.Token()
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Token() = %q, %v; want error containing %q", tok, err, tc.wantErr)
			}
		})
	}
}
