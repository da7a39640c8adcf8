package portalstandin_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

const (
	token    = "tok-acme-0123456789"
	other    = "tok-other-0123456789"
	keyID    = "ABCDE12345"
	issuerID = "57246542-96fe-1a63-e053-0824d011072a"
	iosPath  = "/api/v1/projects/acme/apps/my-app/publisher/ios/api-key"
	andPath  = "/api/v1/projects/acme/apps/my-app/publisher/android/service-account"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func pkcs8PEM(t *testing.T, key any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func ecKey(t *testing.T, curve elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func rsaKey(t *testing.T, bits int) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func serviceAccountJSON(t *testing.T, fields map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newServer returns a portal with project acme (app my-app) for token and
// project other for the other token, and a clock stuck at t0.
func newServer(t *testing.T) *portalstandin.Server {
	t.Helper()
	s := portalstandin.New()
	now := t0
	var mu sync.Mutex
	s.Now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	s.AddToken(token, "acme")
	s.AddToken(other, "other")
	s.AddApp("acme", "my-app")
	s.AddApp("other", "their-app")
	return s
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (a answer) code() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal([]byte(a.body), &e)
	return e.Error.Code
}

func (a answer) message() string {
	var e struct {
		Error struct{ Code, Message string }
	}
	_ = json.Unmarshal([]byte(a.body), &e)
	return e.Error.Message
}

type request struct {
	method, path, auth, contentType, body string
}

func do(t *testing.T, h http.Handler, r request) answer {
	t.Helper()
	req := httptest.NewRequest(r.method, "http://portal.test"+r.path, strings.NewReader(r.body))
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func iosBody(t *testing.T, keyID, issuerID, pemText string) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"keyId": keyID, "issuerId": issuerID, "privateKey": pemText})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAuthAndLookup(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	h := s.Handler()
	cases := []struct {
		name       string
		req        request
		wantStatus int
		wantCode   string
	}{
		{name: "no token", req: request{method: "GET", path: iosPath}, wantStatus: 401, wantCode: "unauthorized"},
		{name: "basic auth", req: request{method: "GET", path: iosPath, auth: "Basic " + token}, wantStatus: 401, wantCode: "unauthorized"},
		{name: "empty bearer", req: request{method: "GET", path: iosPath, auth: "Bearer "}, wantStatus: 401, wantCode: "unauthorized"},
		{name: "unknown token", req: request{method: "GET", path: iosPath, auth: "Bearer nope"}, wantStatus: 401, wantCode: "unauthorized"},
		{name: "unknown token on PUT", req: request{method: "PUT", path: iosPath, auth: "Bearer nope", contentType: "application/json", body: "{}"}, wantStatus: 401, wantCode: "unauthorized"},
		{name: "lower-case scheme", req: request{method: "GET", path: iosPath, auth: "bearer " + token}, wantStatus: 404, wantCode: "key_not_found"},
		{name: "token of another project", req: request{method: "GET", path: iosPath, auth: "Bearer " + other}, wantStatus: 403, wantCode: "forbidden"},
		{name: "no probing of missing projects", req: request{method: "GET", path: "/api/v1/projects/nope/apps/x/publisher/ios/api-key", auth: "Bearer " + token}, wantStatus: 403, wantCode: "forbidden"},
		{name: "project not found", req: request{method: "GET", path: "/api/v1/projects/ghost/apps/x/publisher/ios/api-key", auth: "Bearer granted-ghost"}, wantStatus: 404, wantCode: "project_not_found"},
		{name: "app not found", req: request{method: "GET", path: "/api/v1/projects/acme/apps/nope/publisher/ios/api-key", auth: "Bearer " + token}, wantStatus: 404, wantCode: "app_not_found"},
		{name: "app not found on PUT", req: request{method: "PUT", path: "/api/v1/projects/acme/apps/nope/publisher/android/service-account", auth: "Bearer " + token, contentType: "application/json", body: "{}"}, wantStatus: 404, wantCode: "app_not_found"},
		{name: "no iOS key yet", req: request{method: "GET", path: iosPath, auth: "Bearer " + token}, wantStatus: 404, wantCode: "key_not_found"},
		{name: "no Android key yet", req: request{method: "GET", path: andPath, auth: "Bearer " + token}, wantStatus: 404, wantCode: "key_not_found"},
		{name: "unknown endpoint", req: request{method: "GET", path: "/api/v1/projects/acme/apps/my-app/publisher/ios/other", auth: "Bearer " + token}, wantStatus: 404, wantCode: "not_found"},
		{name: "trailing slash", req: request{method: "GET", path: iosPath + "/", auth: "Bearer " + token}, wantStatus: 404, wantCode: "not_found"},
		{name: "POST", req: request{method: "POST", path: iosPath, auth: "Bearer " + token}, wantStatus: 405, wantCode: "method_not_allowed"},
		{name: "DELETE", req: request{method: "DELETE", path: iosPath, auth: "Bearer " + token}, wantStatus: 405, wantCode: "method_not_allowed"},
	}
	s.AddToken("granted-ghost", "ghost")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			got := do(t, h, tc.req)
			if got.status != tc.wantStatus || got.code() != tc.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", got.status, got.code(), got.body, tc.wantStatus, tc.wantCode)
			}
			if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", ct)
			}
			if tc.wantStatus == 401 && got.header.Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			if tc.wantStatus == 405 && got.header.Get("Allow") != "GET, PUT" {
				t.Errorf("Allow = %q, want GET, PUT", got.header.Get("Allow"))
			}
			if strings.Contains(got.body, token) || strings.Contains(got.body, other) {
				t.Errorf("answer echoes a token: %s", got.body)
			}
		})
	}
}

func TestPutIOSValidation(t *testing.T) {
	t.Parallel()

	p256 := pkcs8PEM(t, ecKey(t, elliptic.P256()))
	p384 := pkcs8PEM(t, ecKey(t, elliptic.P384()))
	rsaPEM := pkcs8PEM(t, rsaKey(t, 2048))
	sec1DER, err := x509.MarshalECPrivateKey(ecKey(t, elliptic.P256()))
	if err != nil {
		t.Fatal(err)
	}
	sec1 := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER}))
	pubDER, err := x509.MarshalPKIXPublicKey(&ecKey(t, elliptic.P256()).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	public := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	corrupt := "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAAAA\n-----END PRIVATE KEY-----\n"

	cases := []struct {
		name, contentType, body string
		wantStatus              int
		wantCode, wantMessage   string
	}{
		{name: "valid", body: iosBody(t, keyID, issuerID, p256), wantStatus: 201},
		{name: "content type with charset", contentType: "application/json; charset=utf-8", body: iosBody(t, keyID, issuerID, p256), wantStatus: 201},
		{name: "not JSON", body: "keyId=ABCDE12345", wantStatus: 400, wantCode: "invalid_key", wantMessage: "not a JSON object"},
		{name: "JSON array", body: `["x"]`, wantStatus: 400, wantCode: "invalid_key"},
		{name: "wrong field type", body: `{"keyId": 12345}`, wantStatus: 400, wantCode: "invalid_key"},
		{name: "text/plain", contentType: "text/plain", body: iosBody(t, keyID, issuerID, p256), wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "too large", body: `{"keyId":"` + strings.Repeat("A", 70<<10) + `"}`, wantStatus: 413, wantCode: "request_too_large"},
		{name: "missing keyId", body: iosBody(t, "", issuerID, p256), wantStatus: 422, wantCode: "invalid_key", wantMessage: "keyId is missing"},
		{name: "lower-case keyId", body: iosBody(t, "abcde12345", issuerID, p256), wantStatus: 422, wantCode: "invalid_key", wantMessage: "keyId must be"},
		{name: "short keyId", body: iosBody(t, "ABCDE1234", issuerID, p256), wantStatus: 422, wantCode: "invalid_key", wantMessage: "keyId must be"},
		{name: "team ID as issuer", body: iosBody(t, keyID, "ABCDE12345", p256), wantStatus: 422, wantCode: "invalid_key", wantMessage: "issuerId must be a UUID"},
		{name: "missing privateKey", body: iosBody(t, keyID, issuerID, ""), wantStatus: 422, wantCode: "invalid_key", wantMessage: "privateKey is missing"},
		{name: "not PEM", body: iosBody(t, keyID, issuerID, "MIGHAgEAMBMGByqGSM49"), wantStatus: 422, wantCode: "invalid_key", wantMessage: "not a PEM block"},
		{name: "corrupt PKCS#8", body: iosBody(t, keyID, issuerID, corrupt), wantStatus: 422, wantCode: "invalid_key", wantMessage: "not a valid PKCS#8"},
		{name: "SEC1", body: iosBody(t, keyID, issuerID, sec1), wantStatus: 422, wantCode: "invalid_key", wantMessage: "send PKCS#8"},
		{name: "public key", body: iosBody(t, keyID, issuerID, public), wantStatus: 422, wantCode: "invalid_key", wantMessage: "not a private key"},
		{name: "RSA", body: iosBody(t, keyID, issuerID, rsaPEM), wantStatus: 422, wantCode: "invalid_key", wantMessage: "not an ECDSA key"},
		{name: "P-384", body: iosBody(t, keyID, issuerID, p384), wantStatus: 422, wantCode: "invalid_key", wantMessage: "curve P-384"},
		{name: "two keys", body: iosBody(t, keyID, issuerID, p256+p256), wantStatus: 422, wantCode: "invalid_key", wantMessage: "data after the PEM block"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			s := newServer(t)
			ct := tc.contentType
			if ct == "" {
				ct = "application/json"
			}
			got := do(t, s.Handler(), request{method: "PUT", path: iosPath, auth: "Bearer " + token, contentType: ct, body: tc.body})
			if got.status != tc.wantStatus || got.code() != tc.wantCode {
				t.Fatalf("got %d %q (%s), want %d %q", got.status, got.code(), got.body, tc.wantStatus, tc.wantCode)
			}
			if !strings.Contains(got.message(), tc.wantMessage) {
				t.Errorf("message %q does not contain %q", got.message(), tc.wantMessage)
			}
			if strings.Contains(got.body, "MIG") || strings.Contains(got.body, "BEGIN") {
				t.Errorf("answer quotes key material: %s", got.body)
			}
			_, stored := s.IOSKey("acme", "my-app")
			if stored != (tc.wantStatus == 201) {
				t.Errorf("stored = %v after %d", stored, got.status)
			}
		})
	}
}

func TestPutAndroidValidation(t *testing.T) {
	t.Parallel()

	rk := rsaKey(t, 2048)
	valid := map[string]any{
		"type":           "service_account",
		"project_id":     "my-project",
		"private_key_id": "0123456789abcdef0123456789abcdef01234567",
		"private_key":    pkcs8PEM(t, rk),
		"client_email":   "publisher@my-project.iam.gserviceaccount.com",
		"token_uri":      "https://oauth2.googleapis.com/token",
	}
	with := func(k string, v any) string {
		m := map[string]any{}
		for kk, vv := range valid {
			m[kk] = vv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return serviceAccountJSON(t, m)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)}))
	body := func(sa string) string {
		b, _ := json.Marshal(map[string]string{"serviceAccountJson": sa})
		return string(b)
	}

	cases := []struct {
		name, body  string
		wantStatus  int
		wantMessage string
	}{
		{name: "valid", body: body(with("type", "service_account")), wantStatus: 201},
		{name: "nested object instead of text", body: `{"serviceAccountJson": {"type": "service_account"}}`, wantStatus: 400},
		{name: "empty", body: body(""), wantStatus: 422, wantMessage: "serviceAccountJson is missing"},
		{name: "not JSON", body: body("type=service_account"), wantStatus: 422, wantMessage: "not a JSON object"},
		{name: "authorized_user", body: body(with("type", "authorized_user")), wantStatus: 422, wantMessage: `type must be "service_account"`},
		{name: "no client_email", body: body(with("client_email", nil)), wantStatus: 422, wantMessage: "client_email"},
		{name: "no private_key_id", body: body(with("private_key_id", nil)), wantStatus: 422, wantMessage: "private_key_id is missing"},
		{name: "no private_key", body: body(with("private_key", nil)), wantStatus: 422, wantMessage: "private_key is missing"},
		{name: "PKCS#1", body: body(with("private_key", pkcs1)), wantStatus: 422, wantMessage: "send PKCS#8"},
		{name: "EC key", body: body(with("private_key", pkcs8PEM(t, ecKey(t, elliptic.P256())))), wantStatus: 422, wantMessage: "not an RSA key"},
		{name: "1024-bit RSA", body: body(with("private_key", pkcs8PEM(t, rsaKey(t, 1024)))), wantStatus: 422, wantMessage: "shorter than 2048 bits"},
		{name: "literal backslash-n", body: body(with("private_key", strings.ReplaceAll(pkcs8PEM(t, rk), "\n", `\n`))), wantStatus: 422, wantMessage: "not a PEM block"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			s := newServer(t)
			got := do(t, s.Handler(), request{method: "PUT", path: andPath, auth: "Bearer " + token, contentType: "application/json", body: tc.body})
			if got.status != tc.wantStatus {
				t.Fatalf("got %d (%s), want %d", got.status, got.body, tc.wantStatus)
			}
			if tc.wantStatus >= 400 && got.code() != "invalid_key" {
				t.Errorf("code = %q, want invalid_key", got.code())
			}
			if !strings.Contains(got.message(), tc.wantMessage) {
				t.Errorf("message %q does not contain %q", got.message(), tc.wantMessage)
			}
			if strings.Contains(got.body, "MII") || strings.Contains(got.body, "BEGIN") {
				t.Errorf("answer quotes key material: %s", got.body)
			}
		})
	}
}

func TestIOSLifecycle(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	h := s.Handler()
	first, second := ecKey(t, elliptic.P256()), ecKey(t, elliptic.P256())
	fp1, err := portalstandin.Fingerprint(&first.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	fp2, _ := portalstandin.Fingerprint(&second.PublicKey)
	put := func(id string, k *ecdsa.PrivateKey) answer {
		return do(t, h, request{method: "PUT", path: iosPath, auth: "Bearer " + token, contentType: "application/json", body: iosBody(t, id, issuerID, pkcs8PEM(t, k))})
	}
	get := func() answer { return do(t, h, request{method: "GET", path: iosPath, auth: "Bearer " + token}) }
	key := func(id, fp string, at time.Time) string {
		return `{"keyId":"` + id + `","issuerId":"` + issuerID + `","fingerprint":"` + fp + `","uploadedAt":"` + at.Format(time.RFC3339) + `"}` + "\n"
	}

	steps := []struct {
		name       string
		do         func() answer
		wantStatus int
		wantBody   string
	}{
		{name: "create", do: func() answer { return put(keyID, first) }, wantStatus: 201, wantBody: key(keyID, fp1, t0.Add(time.Minute))},
		{name: "read", do: get, wantStatus: 200, wantBody: key(keyID, fp1, t0.Add(time.Minute))},
		{name: "same key again keeps uploadedAt", do: func() answer { return put(keyID, first) }, wantStatus: 200, wantBody: key(keyID, fp1, t0.Add(time.Minute))},
		{name: "replace", do: func() answer { return put("ZYXWV98765", second) }, wantStatus: 200, wantBody: key("ZYXWV98765", fp2, t0.Add(3*time.Minute))},
		{name: "read replaced", do: get, wantStatus: 200, wantBody: key("ZYXWV98765", fp2, t0.Add(3*time.Minute))},
	}
	for _, st := range steps { // sequential: each step builds on the last
		got := st.do()
		if got.status != st.wantStatus {
			t.Fatalf("%s: status %d (%s), want %d", st.name, got.status, got.body, st.wantStatus)
		}
		if diff := cmp.Diff(st.wantBody, got.body); diff != "" {
			t.Errorf("%s: body (-want +got):\n%s", st.name, diff)
		}
		if got.status == 201 && got.header.Get("Location") != iosPath {
			t.Errorf("%s: Location = %q, want %q", st.name, got.header.Get("Location"), iosPath)
		}
	}
	rec, ok := s.IOSKey("acme", "my-app")
	if !ok || rec.PrivateKey != pkcs8PEM(t, second) || rec.Fingerprint != fp2 {
		t.Errorf("stored record = %+v, %v; want the second key", rec.KeyID, ok)
	}
	if n := s.Requests("PUT", "acme", "my-app", portalstandin.IOS); n != 3 {
		t.Errorf("PUT requests = %d, want 3", n)
	}
	if n := s.Requests("GET", "acme", "my-app", portalstandin.IOS); n != 2 {
		t.Errorf("GET requests = %d, want 2", n)
	}
	if _, ok := s.AndroidKey("acme", "my-app"); ok {
		t.Error("an iOS upload stored an Android key")
	}
}

func TestAndroidLifecycleAndPreload(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	s.SetAndroidKey("acme", "my-app", portalstandin.AndroidRecord{ClientEmail: "old@x.iam.gserviceaccount.com", PrivateKeyID: "old", Fingerprint: "SHA256:old", UploadedAt: old})
	got := do(t, s.Handler(), request{method: "GET", path: andPath, auth: "Bearer " + token})
	want := `{"clientEmail":"old@x.iam.gserviceaccount.com","privateKeyId":"old","fingerprint":"SHA256:old","uploadedAt":"2024-01-02T03:04:05Z"}` + "\n"
	if got.status != 200 || got.body != want {
		t.Fatalf("GET preloaded = %d %s, want 200 %s", got.status, got.body, want)
	}

	rk := rsaKey(t, 2048)
	sa := serviceAccountJSON(t, map[string]any{
		"type": "service_account", "client_email": "new@x.iam.gserviceaccount.com",
		"private_key_id": "abc123", "private_key": pkcs8PEM(t, rk),
	})
	body, _ := json.Marshal(map[string]string{"serviceAccountJson": sa})
	got = do(t, s.Handler(), request{method: "PUT", path: andPath, auth: "Bearer " + token, contentType: "application/json", body: string(body)})
	fp, _ := portalstandin.Fingerprint(&rk.PublicKey)
	want = `{"clientEmail":"new@x.iam.gserviceaccount.com","privateKeyId":"abc123","fingerprint":"` + fp + `","uploadedAt":"2025-03-01T12:01:00Z"}` + "\n"
	if got.status != 200 || got.body != want {
		t.Fatalf("PUT replacing = %d %s, want 200 %s", got.status, got.body, want)
	}
	rec, _ := s.AndroidKey("acme", "my-app")
	if rec.ServiceAccountJSON != sa {
		t.Error("the service-account JSON was not stored verbatim")
	}
}

func TestEscapedSegments(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	s.AddApp("acme", "team/app one")
	s.SetIOSKey("acme", "team/app one", portalstandin.IOSRecord{KeyID: keyID, IssuerID: issuerID, Fingerprint: "SHA256:x", UploadedAt: t0})
	h := s.Handler()

	got := do(t, h, request{method: "GET", path: "/api/v1/projects/acme/apps/team%2Fapp%20one/publisher/ios/api-key", auth: "Bearer " + token})
	if got.status != 200 {
		t.Fatalf("escaped app ID: %d %s, want 200", got.status, got.body)
	}
	// An unescaped slash is two segments: not this contract's path.
	got = do(t, h, request{method: "GET", path: "/api/v1/projects/acme/apps/team/app%20one/publisher/ios/api-key", auth: "Bearer " + token})
	if got.status != 404 || got.code() != "not_found" {
		t.Fatalf("unescaped slash: %d %s, want 404 not_found", got.status, got.body)
	}
}

func TestStartServesOnLoopback(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	base, stop, err := s.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Fatalf("base URL %q is not on 127.0.0.1", base)
	}

	var wg sync.WaitGroup
	for i := range 8 { // concurrent uploads to separate apps, for -race
		app := "app-" + string(rune('a'+i))
		s.AddApp("acme", app)
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(t.Context(), "PUT", base+"/api/v1/projects/acme/apps/"+app+"/publisher/ios/api-key",
				strings.NewReader(iosBody(t, keyID, issuerID, pkcs8PEM(t, ecKey(t, elliptic.P256())))))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Errorf("%s: status %d, want 201", app, resp.StatusCode)
			}
		})
	}
	wg.Wait()

	stop()
	stop() // idempotent
	if resp, err := http.Get(base + iosPath); err == nil {
		resp.Body.Close()
		t.Error("server still answers after stop")
	}
}
