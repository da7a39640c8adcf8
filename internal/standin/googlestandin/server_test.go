package googlestandin_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
	"github.com/mos-tools/publisher-keys/internal/testkit"
)

var testKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	a, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	b, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return a, b
})

const (
	email   = "publisher@mos-test.iam.gserviceaccount.com"
	other   = "other@mos-test.iam.gserviceaccount.com"
	keyID   = "1111111111111111111111111111111111111111"
	project = "123456789012"
	pkg     = "com.example.app"
)

type env struct {
	srv   *googlestandin.Server
	base  string
	clock *testkit.Clock
	key   *rsa.PrivateKey
}

func setup(t *testing.T) *env {
	t.Helper()
	key, otherKey := testKeys()
	srv, base, c := testkit.Google(t, func(srv *googlestandin.Server) {
		srv.AddServiceAccount(email, keyID, &key.PublicKey, project)
		srv.AddServiceAccount(other, "2222", &otherKey.PublicKey, "999")
		srv.AddPackage(pkg, email, other)
		srv.AddPackage("com.example.notgranted")
	})
	return &env{srv: srv, base: base, clock: c, key: key}
}

type claims struct {
	Iss   string `json:"iss,omitempty"`
	Scope string `json:"scope,omitempty"`
	Aud   string `json:"aud,omitempty"`
	Sub   string `json:"sub,omitempty"`
	Iat   int64  `json:"iat,omitempty"`
	Exp   int64  `json:"exp,omitempty"`
}

func sign(t *testing.T, key *rsa.PrivateKey, header map[string]string, c claims) string {
	t.Helper()
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(c)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func (e *env) goodClaims() claims {
	now := time.Now()
	return claims{Iss: email, Scope: googlestandin.Scope, Aud: e.base + "/token", Iat: now.Add(-10 * time.Second).Unix(), Exp: now.Add(time.Hour - 10*time.Second).Unix()}
}

func (e *env) postToken(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(e.base+"/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func grant(assertion string) url.Values {
	return url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
}

func (e *env) token(t *testing.T) string {
	t.Helper()
	status, body := e.postToken(t, grant(sign(t, e.key, map[string]string{"alg": "RS256", "typ": "JWT", "kid": keyID}, e.goodClaims())))
	if status != 200 {
		t.Fatalf("token: %d %v", status, body)
	}
	return body["access_token"].(string)
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	_, otherKey := testKeys()
	hdr := map[string]string{"alg": "RS256", "typ": "JWT", "kid": keyID}
	cases := []struct {
		name       string
		form       func(e *env) url.Values
		prepare    func(e *env)
		wantStatus int
		wantError  string // the error code; empty for success
		wantDesc   string
	}{
		{name: "valid assertion", form: func(e *env) url.Values { return grant(sign(t, e.key, hdr, e.goodClaims())) }, wantStatus: 200},
		{name: "valid assertion without kid", form: func(e *env) url.Values {
			return grant(sign(t, e.key, map[string]string{"alg": "RS256", "typ": "JWT"}, e.goodClaims()))
		}, wantStatus: 200},
		{name: "deleted key", prepare: func(e *env) { e.srv.DeleteKey(email, keyID) },
			form:       func(e *env) url.Values { return grant(sign(t, e.key, hdr, e.goodClaims())) },
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT Signature."},
		{name: "signed by another key", form: func(e *env) url.Values { return grant(sign(t, otherKey, hdr, e.goodClaims())) },
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT Signature."},
		{name: "alg none", form: func(e *env) url.Values {
			return grant(sign(t, e.key, map[string]string{"alg": "none", "kid": keyID}, e.goodClaims()))
		}, wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT Signature."},
		{name: "deleted account", prepare: func(e *env) { e.srv.DeleteServiceAccount(email) },
			form:       func(e *env) url.Values { return grant(sign(t, e.key, hdr, e.goodClaims())) },
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid grant: account not found"},
		{name: "stand-in clock two hours ahead", prepare: func(e *env) { e.clock.Advance(2 * time.Hour) },
			form:       func(e *env) url.Values { return grant(sign(t, e.key, hdr, e.goodClaims())) },
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."},
		{name: "stand-in clock two hours behind", prepare: func(e *env) { e.clock.Advance(-2 * time.Hour) },
			form:       func(e *env) url.Values { return grant(sign(t, e.key, hdr, e.goodClaims())) },
			wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."},
		{name: "lifetime over an hour", form: func(e *env) url.Values {
			c := e.goodClaims()
			c.Exp = c.Iat + 3601
			return grant(sign(t, e.key, hdr, c))
		}, wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."},
		{name: "wrong audience", form: func(e *env) url.Values {
			c := e.goodClaims()
			c.Aud = "https://oauth2.googleapis.com/token"
			return grant(sign(t, e.key, hdr, c))
		}, wantStatus: 400, wantError: "invalid_grant", wantDesc: "Invalid JWT: Failed audience check."},
		{name: "no scope", form: func(e *env) url.Values {
			c := e.goodClaims()
			c.Scope = ""
			return grant(sign(t, e.key, hdr, c))
		}, wantStatus: 400, wantError: "invalid_scope", wantDesc: "Empty or missing scope not allowed."},
		{name: "unknown scope", form: func(e *env) url.Values {
			c := e.goodClaims()
			c.Scope = "androidpublisher"
			return grant(sign(t, e.key, hdr, c))
		}, wantStatus: 400, wantError: "invalid_scope", wantDesc: "Invalid OAuth scope or ID token audience provided."},
		{name: "impersonation", form: func(e *env) url.Values {
			c := e.goodClaims()
			c.Sub = "someone@example.com"
			return grant(sign(t, e.key, hdr, c))
		}, wantStatus: 401, wantError: "unauthorized_client"},
		{name: "wrong grant type", form: func(e *env) url.Values { return url.Values{"grant_type": {"client_credentials"}} },
			wantStatus: 400, wantError: "unsupported_grant_type"},
		{name: "no assertion", form: func(e *env) url.Values { return grant("") },
			wantStatus: 400, wantError: "invalid_request", wantDesc: "Missing required parameter: assertion"},
		{name: "malformed assertion", form: func(e *env) url.Values { return grant("not.a-jwt") },
			wantStatus: 400, wantError: "invalid_grant"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			status, body := e.postToken(t, tc.form(e))
			if status != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body %v", status, tc.wantStatus, body)
			}
			if tc.wantError == "" {
				tok, _ := body["access_token"].(string)
				if !strings.HasPrefix(tok, "ya29.") || body["token_type"] != "Bearer" || body["expires_in"] != 3599.0 {
					t.Errorf("token answer = %v", body)
				}
				if e.srv.TokensIssued() != 1 {
					t.Errorf("TokensIssued = %d, want 1", e.srv.TokensIssued())
				}
				return
			}
			if body["error"] != tc.wantError || !strings.HasPrefix(body["error_description"].(string), tc.wantDesc) {
				t.Errorf("error body = %v, want error %q, description %q", body, tc.wantError, tc.wantDesc)
			}
			if len(body) != 2 {
				t.Errorf("error body has fields %v, want error and error_description only", body)
			}
		})
	}
}

type apiErrorBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Reason string `json:"reason"`
		} `json:"errors"`
		Details []struct {
			Type     string            `json:"@type"`
			Reason   string            `json:"reason"`
			Metadata map[string]string `json:"metadata"`
		} `json:"details"`
	} `json:"error"`
}

func (e *env) do(t *testing.T, method, path, token string) (int, []byte) {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func editsPath(p string) string { return "/androidpublisher/v3/applications/" + p + "/edits" }

func TestPlayErrors(t *testing.T) {
	t.Parallel()
	type want struct {
		Code          int
		Status        string
		Reason        string
		DetailsReason string
		Message       string
	}
	cases := []struct {
		name    string
		token   func(e *env) string
		prepare func(e *env)
		pkg     string
		want    want
	}{
		{name: "no token", token: func(*env) string { return "" }, pkg: pkg,
			want: want{401, "UNAUTHENTICATED", "required", "CREDENTIALS_MISSING", "Request is missing required authentication credential."}},
		{name: "unknown token", token: func(*env) string { return "ya29.forged" }, pkg: pkg,
			want: want{401, "UNAUTHENTICATED", "authError", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "Request had invalid authentication credentials."}},
		{name: "expired token", token: func(e *env) string { tok := e.token(t); e.clock.Advance(time.Hour); return tok }, pkg: pkg,
			want: want{401, "UNAUTHENTICATED", "authError", "ACCESS_TOKEN_TYPE_UNSUPPORTED", "Request had invalid authentication credentials."}},
		{name: "API disabled", prepare: func(e *env) { e.srv.DisableAPI(project) }, pkg: pkg,
			want: want{403, "PERMISSION_DENIED", "accessNotConfigured", "SERVICE_DISABLED", "Google Play Android Developer API has not been used in project 123456789012 before or it is disabled."}},
		{name: "unknown package", pkg: "com.example.unknown",
			want: want{404, "NOT_FOUND", "notFound", "", "Package not found: com.example.unknown."}},
		{name: "package not granted", pkg: "com.example.notgranted",
			want: want{403, "PERMISSION_DENIED", "forbidden", "", "The caller does not have permission"}},
		{name: "grant revoked", prepare: func(e *env) { e.srv.RevokeAccess(pkg, email) }, pkg: pkg,
			want: want{403, "PERMISSION_DENIED", "forbidden", "", "The caller does not have permission"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			if tc.prepare != nil {
				tc.prepare(e)
			}
			tok := ""
			if tc.token != nil {
				tok = tc.token(e)
			} else {
				tok = e.token(t)
			}
			status, raw := e.do(t, http.MethodPost, editsPath(tc.pkg), tok)
			var body apiErrorBody
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			got := want{Code: body.Error.Code, Status: body.Error.Status}
			if len(body.Error.Errors) > 0 {
				got.Reason = body.Error.Errors[0].Reason
			}
			if len(body.Error.Details) > 0 {
				got.DetailsReason = body.Error.Details[0].Reason
			}
			if strings.HasPrefix(body.Error.Message, tc.want.Message) {
				got.Message = tc.want.Message
			} else {
				got.Message = body.Error.Message
			}
			if status != tc.want.Code {
				t.Errorf("HTTP status = %d, want %d", status, tc.want.Code)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error body mismatch (-want +got):\n%s", diff)
			}
			if tc.want.DetailsReason == "SERVICE_DISABLED" {
				md := body.Error.Details[0].Metadata
				if md["consumer"] != "projects/"+project || !strings.HasSuffix(md["activationUrl"], "?project="+project) {
					t.Errorf("SERVICE_DISABLED metadata = %v", md)
				}
			}
			if e.srv.TotalOpenEdits() != 0 {
				t.Errorf("a refused insert left %d open edits", e.srv.TotalOpenEdits())
			}
		})
	}
}

func TestEditLifecycle(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token(t)
	insert := func(tok string) string {
		t.Helper()
		status, raw := e.do(t, http.MethodPost, editsPath(pkg), tok)
		if status != 200 {
			t.Fatalf("insert: %d %s", status, raw)
		}
		var ed struct{ ID, ExpiryTimeSeconds string }
		if err := json.Unmarshal(raw, &ed); err != nil || len(ed.ID) != 20 || ed.ExpiryTimeSeconds == "" {
			t.Fatalf("insert answer %s", raw)
		}
		return ed.ID
	}
	first := insert(tok)
	if n := e.srv.OpenEdits(pkg); n != 1 {
		t.Fatalf("OpenEdits = %d after one insert, want 1", n)
	}
	if status, _ := e.do(t, http.MethodGet, editsPath(pkg)+"/"+first, tok); status != 200 {
		t.Errorf("get open edit: %d", status)
	}
	// A second edit of the same account invalidates the first.
	second := insert(tok)
	if n := e.srv.OpenEdits(pkg); n != 1 {
		t.Errorf("OpenEdits = %d after a second insert, want 1", n)
	}
	if status, raw := e.do(t, http.MethodDelete, editsPath(pkg)+"/"+first, tok); status != 400 || !strings.Contains(string(raw), "This Edit has been deleted.") {
		t.Errorf("delete superseded edit: %d %s", status, raw)
	}
	// Another account's edit of the same app is independent.
	otherKey := func() *rsa.PrivateKey { _, k := testKeys(); return k }()
	c := e.goodClaims()
	c.Iss = other
	_, body := e.postToken(t, grant(sign(t, otherKey, map[string]string{"alg": "RS256", "kid": "2222"}, c)))
	otherTok := body["access_token"].(string)
	third := insert(otherTok)
	if n := e.srv.OpenEdits(pkg); n != 2 {
		t.Errorf("OpenEdits = %d with edits of two accounts, want 2", n)
	}
	if status, _ := e.do(t, http.MethodDelete, editsPath(pkg)+"/"+third, tok); status != 404 {
		t.Errorf("deleting another account's edit: %d, want 404", status)
	}
	for _, d := range []struct{ id, tok string }{{second, tok}, {third, otherTok}} {
		if status, raw := e.do(t, http.MethodDelete, editsPath(pkg)+"/"+d.id, d.tok); status != 204 || len(raw) != 0 {
			t.Errorf("delete: %d %s", status, raw)
		}
	}
	if n := e.srv.OpenEdits(pkg); n != 0 {
		t.Errorf("OpenEdits = %d after deleting all, want 0", n)
	}
	if status, _ := e.do(t, http.MethodDelete, editsPath(pkg)+"/"+second, tok); status != 400 {
		t.Errorf("second delete: %d, want 400", status)
	}
	if status, _ := e.do(t, http.MethodDelete, editsPath(pkg)+"/00000000000000000000", tok); status != 404 {
		t.Errorf("delete unknown edit: %d, want 404", status)
	}
	// Edits expire.
	insert(tok)
	e.clock.Advance(61 * time.Minute)
	if n := e.srv.OpenEdits(pkg); n != 0 {
		t.Errorf("OpenEdits = %d after expiry, want 0", n)
	}
	if status, _ := e.do(t, http.MethodGet, "/androidpublisher/v3/applications/"+pkg+"/reviews", tok); status != 404 {
		t.Errorf("unknown path: %d, want 404", status)
	}
	if status, _ := e.do(t, http.MethodGet, editsPath(pkg), tok); status != 405 {
		t.Errorf("GET on edits: %d, want 405", status)
	}
}

func TestConcurrentInserts(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token(t)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, e.base+editsPath(pkg), strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	if n := e.srv.OpenEdits(pkg); n != 1 {
		t.Errorf("OpenEdits = %d after concurrent inserts of one account, want 1", n)
	}
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	key, _ := testKeys()
	b, err := googlestandin.KeyFile(email, keyID, "mos-test", "http://127.0.0.1:1/token", key)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["type"] != "service_account" || m["client_email"] != email || m["private_key_id"] != keyID ||
		!strings.HasPrefix(m["private_key"], "-----BEGIN PRIVATE KEY-----\n") || m["token_uri"] != "http://127.0.0.1:1/token" ||
		m["client_x509_cert_url"] != "http://127.0.0.1:1/robot/v1/metadata/x509/publisher%40mos-test.iam.gserviceaccount.com" {
		delete(m, "private_key") // never print key material, even a throwaway one
		t.Errorf("key file fields = %v", m)
	}
}

func TestReleasesList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tok := e.token(t)
	path := func(p, track string) string {
		return "/androidpublisher/v3/applications/" + p + "/tracks/" + track + "/releases"
	}
	cases := []struct {
		name, path, token string
		want              int
		wantIn            string
	}{
		{"production", path(pkg, "production"), tok, 200, `"releases"`},
		{"empty track", path(pkg, "beta"), tok, 200, `"androidpublisher#releaseList"`},
		{"no token", path(pkg, "production"), "", 401, "UNAUTHENTICATED"},
		{"unknown package", path("com.example.none", "production"), tok, 404, "Package not found"},
		{"not granted", path("com.example.notgranted", "production"), tok, 403, "PERMISSION_DENIED"},
	}
	for _, tc := range cases {
		status, body := e.do(t, http.MethodGet, tc.path, tc.token)
		if status != tc.want || !strings.Contains(string(body), tc.wantIn) {
			t.Errorf("%s: %d %s, want %d with %s", tc.name, status, body, tc.want, tc.wantIn)
		}
	}
	if n := e.srv.EditsOpened(); n != 0 {
		t.Errorf("EditsOpened = %d after reading tracks, want 0", n)
	}
	if n := e.srv.ReleaseReads(); n != 2 {
		t.Errorf("ReleaseReads = %d, want 2", n)
	}
}

func TestCertificates(t *testing.T) {
	t.Parallel()
	e := setup(t)
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	expires := created.Add(90 * 24 * time.Hour)
	e.srv.SetKeyValidity(email, keyID, created, expires)
	get := func() (int, map[string]string) {
		t.Helper()
		resp, err := http.Get(googlestandin.CertURL(e.base, email))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]string
		_ = json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	status, certs := get()
	if status != 200 || len(certs) != 1 {
		t.Fatalf("certificates: %d %v", status, certs)
	}
	blk, _ := pem.Decode([]byte(certs[keyID]))
	if blk == nil {
		t.Fatalf("no PEM under %s: %q", keyID, certs[keyID])
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := testKeys()
	if !cert.NotBefore.Equal(created) || !cert.NotAfter.Equal(expires) || !key.PublicKey.Equal(cert.PublicKey) {
		t.Errorf("certificate: %v – %v, key matches: %v", cert.NotBefore, cert.NotAfter, key.PublicKey.Equal(cert.PublicKey))
	}

	e.srv.DisableKey(email, keyID)
	if status, certs := get(); status != 200 || len(certs) != 0 {
		t.Errorf("after DisableKey: %d %v, want 200 and no certificate", status, certs)
	}
	resp, err := http.Get(googlestandin.CertURL(e.base, "nobody@mos-test.iam.gserviceaccount.com"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("unknown account: %d, want 404", resp.StatusCode)
	}
}

func TestExpiredKeyRefused(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.SetKeyValidity(email, keyID, time.Now().Add(-48*time.Hour), time.Now().Add(-time.Hour))
	status, body := e.postToken(t, grant(sign(t, e.key, map[string]string{"alg": "RS256", "typ": "JWT", "kid": keyID}, e.goodClaims())))
	if status != 400 || body["error"] != "invalid_grant" {
		t.Errorf("expired key: %d %v, want 400 invalid_grant", status, body)
	}
}
