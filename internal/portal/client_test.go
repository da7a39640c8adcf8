package portal_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/portal"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
	"github.com/mos-tools/publisher-keys/internal/version"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	token      = "mos-Secret-Token-0123456789-abcdefXYZ"
	otherToken = "mos-Other-Token-9876543210-zyxwvuABC"
	keyID      = "ABCDE12345"
	issuerID   = "57246542-96fe-1a63-e053-0824d011072a"
	// otherIssuer is another team's Issuer ID.
	otherIssuer = "0f3c9a2e-5b1d-4e7a-9c8b-2d6f1a3e4b5c"
	project     = "acme"
	app         = "my-app"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// seen is what the portal received, before the fault injector.
type seen struct {
	Method, EscapedPath string
	Header              http.Header
	Body                string
}

type env struct {
	portal *portalstandin.Server
	client *portal.Client
	mu     sync.Mutex
	seen   []seen
}

func (e *env) requests() []seen {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]seen(nil), e.seen...)
}

// setup starts the portal stand-in on loopback with project acme, app
// my-app and a token for it, and returns a client pointed at it. prefix is
// an optional base path the portal is served under.
func setup(t *testing.T, prefix string) *env {
	t.Helper()
	e := &env{portal: portalstandin.New()}
	now := t0
	var clock sync.Mutex
	e.portal.Now = func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	e.portal.AddToken(token, project)
	e.portal.AddToken(otherToken, "other")
	e.portal.AddApp(project, app)

	var h http.Handler = e.portal.Handler()
	if prefix != "" {
		h = http.StripPrefix(prefix, h)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		e.mu.Lock()
		e.seen = append(e.seen, seen{Method: r.Method, EscapedPath: r.URL.EscapedPath(), Header: r.Header.Clone(), Body: string(body)})
		e.mu.Unlock()
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		e.portal.Faults().Close() // releases hung requests first
		srv.Close()
	})
	e.client = newClient(t, srv.URL+prefix, token)
	return e
}

func newClient(t *testing.T, base, tok string) *portal.Client {
	t.Helper()
	u, err := httpx.ParseBaseURL("mos-url", base)
	if err != nil {
		t.Fatal(err)
	}
	return &portal.Client{BaseURL: u, Token: tok, HTTP: httpx.New(httpx.Config{
		Service:        "mos.portal",
		UserAgent:      version.UserAgent(),
		WaitMin:        time.Millisecond,
		WaitMax:        5 * time.Millisecond,
		AttemptTimeout: 5 * time.Second,
	})}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixtures are throwaway keys made for these tests only.
func iosUpload(t *testing.T) portal.IOSKeyUpload {
	return portal.IOSKeyUpload{KeyID: keyID, IssuerID: issuerID, PrivateKey: readFile(t, "ios_test_key.p8")}
}

func androidUpload(t *testing.T) portal.AndroidKeyUpload {
	return portal.AndroidKeyUpload{ServiceAccountJSON: readFile(t, "service_account_test.json")}
}

func fingerprintOf(t *testing.T, pemText string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		t.Fatal("fixture is not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := portalstandin.Fingerprint(key.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

func androidPEM(t *testing.T) string {
	t.Helper()
	var sa struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "service_account_test.json")), &sa); err != nil {
		t.Fatal(err)
	}
	return sa.PrivateKey
}

func TestIOSRoundTrip(t *testing.T) {
	t.Parallel()

	e := setup(t, "")
	ctx := t.Context()
	up := iosUpload(t)
	fp := fingerprintOf(t, up.PrivateKey)
	// The openssl recipe in docs/mos-portal-contract.md gives this value for
	// the fixture; a drift here means the docs or the stand-in are wrong.
	if want := "SHA256:NhW7rjsIRAYAZVTYC1k0BwE9UnjjY1wIc1yYR9PbK2A"; fp != want {
		t.Fatalf("fingerprint of the fixture = %s, want %s", fp, want)
	}

	if _, err := e.client.GetKey(ctx, project, app, portal.PlatformIOS); !portal.IsKeyNotFound(err) {
		t.Fatalf("GetKey(ios) before any upload: %v, want key_not_found", err)
	}

	first := &portal.Record{KeyID: keyID, Owner: issuerID, Fingerprint: fp, UploadedAt: t0.Add(time.Minute)}
	second := &portal.Record{KeyID: "ZYXWV98765", Owner: issuerID, Fingerprint: fp, UploadedAt: t0.Add(3 * time.Minute)}
	steps := []struct {
		name        string
		up          portal.IOSKeyUpload
		wantCreated bool
		want        *portal.Record
	}{
		{name: "first upload creates", up: up, wantCreated: true, want: first},
		{name: "the same key again replaces, uploadedAt kept", up: up, want: first},
		{name: "another key ID replaces", up: portal.IOSKeyUpload{KeyID: "ZYXWV98765", IssuerID: issuerID, PrivateKey: up.PrivateKey}, want: second},
		{name: "another Issuer ID replaces: it is part of the key", up: portal.IOSKeyUpload{KeyID: "ZYXWV98765", IssuerID: otherIssuer, PrivateKey: up.PrivateKey},
			want: &portal.Record{KeyID: "ZYXWV98765", Owner: otherIssuer, Fingerprint: fp, UploadedAt: t0.Add(4 * time.Minute)}},
	}
	for _, st := range steps { // sequential: each step builds on the last
		checkPutThenGet(t, st.name, st.wantCreated, st.want,
			func() (*portal.Record, bool, error) { return e.client.PutKey(ctx, project, app, st.up) },
			func() (*portal.Record, error) { return e.client.GetKey(ctx, project, app, portal.PlatformIOS) })
	}
	if rec, _ := e.portal.IOSKey(project, app); rec.PrivateKey != up.PrivateKey {
		t.Error("the portal did not store the PEM as sent")
	}
}

func TestAndroidRoundTrip(t *testing.T) {
	t.Parallel()

	e := setup(t, "")
	ctx := t.Context()
	up := androidUpload(t)
	fp := fingerprintOf(t, androidPEM(t))
	const email = "publisher@throwaway-test-project.iam.gserviceaccount.com"

	if _, err := e.client.GetKey(ctx, project, app, portal.PlatformAndroid); !portal.IsKeyNotFound(err) {
		t.Fatalf("GetKey(android) before any upload: %v, want key_not_found", err)
	}
	rotated := portal.AndroidKeyUpload{ServiceAccountJSON: strings.Replace(up.ServiceAccountJSON,
		"0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", "ffffffffffffffffffffffffffffffffffffffff", 1)}
	const otherEmail = "publisher@another-test-project.iam.gserviceaccount.com"
	moved := portal.AndroidKeyUpload{ServiceAccountJSON: strings.Replace(rotated.ServiceAccountJSON, email, otherEmail, 1)}
	if moved == rotated {
		t.Fatal("the fixture does not hold the client email")
	}

	steps := []struct {
		name        string
		up          portal.AndroidKeyUpload
		wantCreated bool
		want        *portal.Record
	}{
		{name: "first upload creates", up: up, wantCreated: true,
			want: &portal.Record{KeyID: "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567", Owner: email, Fingerprint: fp, UploadedAt: t0.Add(time.Minute)}},
		{name: "another key ID replaces", up: rotated,
			want: &portal.Record{KeyID: "ffffffffffffffffffffffffffffffffffffffff", Owner: email, Fingerprint: fp, UploadedAt: t0.Add(2 * time.Minute)}},
		{name: "another client email replaces: it is part of the key", up: moved,
			want: &portal.Record{KeyID: "ffffffffffffffffffffffffffffffffffffffff", Owner: otherEmail, Fingerprint: fp, UploadedAt: t0.Add(3 * time.Minute)}},
	}
	for _, st := range steps {
		checkPutThenGet(t, st.name, st.wantCreated, st.want,
			func() (*portal.Record, bool, error) { return e.client.PutKey(ctx, project, app, st.up) },
			func() (*portal.Record, error) { return e.client.GetKey(ctx, project, app, portal.PlatformAndroid) })
	}
	if rec, _ := e.portal.AndroidKey(project, app); rec.ServiceAccountJSON != moved.ServiceAccountJSON {
		t.Error("the portal did not store the JSON text as sent")
	}
}

// checkPutThenGet runs one step of a round trip: the PUT must answer want
// (and created as wanted), and a GET right after must read want back.
func checkPutThenGet[K any](t *testing.T, step string, wantCreated bool, want K, put func() (K, bool, error), get func() (K, error)) {
	t.Helper()
	got, created, err := put()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	if created != wantCreated {
		t.Errorf("%s: created = %v, want %v", step, created, wantCreated)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s: PUT answer (-want +got):\n%s", step, diff)
	}
	read, err := get()
	if err != nil {
		t.Fatalf("%s: GET: %v", step, err)
	}
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("%s: GET answer (-want +got):\n%s", step, diff)
	}
}

// TestRequests pins the exact bytes and headers of each request.
func TestRequests(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name, golden, wantMethod, wantPath string
		call                               func(ctx context.Context, c *portal.Client) error
	}{
		{name: "PUT iOS", golden: "put_ios_request.golden", wantMethod: "PUT", wantPath: "/api/v1/projects/acme/apps/my-app/publisher/ios/api-key",
			call: func(ctx context.Context, c *portal.Client) error {
				_, _, err := c.PutKey(ctx, project, app, iosUpload(t))
				return err
			}},
		{name: "PUT Android", golden: "put_android_request.golden", wantMethod: "PUT", wantPath: "/api/v1/projects/acme/apps/my-app/publisher/android/service-account",
			call: func(ctx context.Context, c *portal.Client) error {
				_, _, err := c.PutKey(ctx, project, app, androidUpload(t))
				return err
			}},
		{name: "GET iOS", wantMethod: "GET", wantPath: "/api/v1/projects/acme/apps/my-app/publisher/ios/api-key",
			call: func(ctx context.Context, c *portal.Client) error {
				_, err := c.GetKey(ctx, project, app, portal.PlatformIOS)
				return err
			}},
		{name: "GET Android", wantMethod: "GET", wantPath: "/api/v1/projects/acme/apps/my-app/publisher/android/service-account",
			call: func(ctx context.Context, c *portal.Client) error {
				_, err := c.GetKey(ctx, project, app, portal.PlatformAndroid)
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			e := setup(t, "")
			if err := tc.call(t.Context(), e.client); err != nil && !portal.IsKeyNotFound(err) {
				t.Fatal(err)
			}
			reqs := e.requests()
			if len(reqs) != 1 {
				t.Fatalf("portal saw %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tc.wantMethod || r.EscapedPath != tc.wantPath {
				t.Errorf("request = %s %s, want %s %s", r.Method, r.EscapedPath, tc.wantMethod, tc.wantPath)
			}
			wantHeader := map[string]string{
				"Authorization": "Bearer " + token,
				"Accept":        "application/json",
				"User-Agent":    version.UserAgent(),
			}
			if tc.wantMethod == "PUT" {
				wantHeader["Content-Type"] = "application/json"
			}
			for k, want := range wantHeader {
				if got := r.Header.Get(k); got != want {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			if tc.golden == "" {
				if r.Body != "" {
					t.Errorf("GET sent a body of %d bytes", len(r.Body))
				}
				return
			}
			compareGolden(t, tc.golden, r.Body)
		})
	}
}

func TestPathEscaping(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name, prefix, project, app, wantPath string
	}{
		{name: "slash and space in the app", project: project, app: "team/app one",
			wantPath: "/api/v1/projects/acme/apps/team%2Fapp%20one/publisher/ios/api-key"},
		{name: "space, percent and question mark", project: "acme corp", app: "50%?#x",
			wantPath: "/api/v1/projects/acme%20corp/apps/50%25%3F%23x/publisher/ios/api-key"},
		{name: "unicode", project: project, app: "äpp",
			wantPath: "/api/v1/projects/acme/apps/%C3%A4pp/publisher/ios/api-key"},
		{name: "portal below a base path", prefix: "/portal", project: project, app: "team/app",
			wantPath: "/portal/api/v1/projects/acme/apps/team%2Fapp/publisher/ios/api-key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			e := setup(t, tc.prefix)
			e.portal.AddToken(token, tc.project)
			e.portal.AddApp(tc.project, tc.app)
			up := iosUpload(t)
			if _, created, err := e.client.PutKey(t.Context(), tc.project, tc.app, up); err != nil || !created {
				t.Fatalf("PutKey = created %v, %v; want created", created, err)
			}
			if _, err := e.client.GetKey(t.Context(), tc.project, tc.app, portal.PlatformIOS); err != nil {
				t.Fatal(err)
			}
			if _, ok := e.portal.IOSKey(tc.project, tc.app); !ok {
				t.Errorf("the key did not reach app %q", tc.app)
			}
			for _, r := range e.requests() {
				if r.EscapedPath != tc.wantPath {
					t.Errorf("path on the wire = %s, want %s", r.EscapedPath, tc.wantPath)
				}
			}
		})
	}
}

func TestRefusesIdentifiersThatAreNotOneSegment(t *testing.T) {
	t.Parallel()

	cases := []struct{ project, app, wantInput string }{
		{project: "", app: app, wantInput: "mos-project"},
		{project: "..", app: app, wantInput: "mos-project"},
		{project: project, app: "", wantInput: "mos-apps"},
		{project: project, app: ".", wantInput: "mos-apps"},
		{project: project, app: "..", wantInput: "mos-apps"},
	}
	for _, tc := range cases {
		t.Run(tc.project+"/"+tc.app, func(t *testing.T) {
			t.Parallel()

			e := setup(t, "")
			_, err := e.client.GetKey(t.Context(), tc.project, tc.app, portal.PlatformIOS)
			var idErr *portal.IDError
			if !errors.As(err, &idErr) {
				t.Fatalf("error = %v, want an *IDError for %s", err, tc.wantInput)
			}
			if title, msg := action.Explain(err); title != "Invalid "+tc.wantInput || !strings.HasPrefix(msg, tc.wantInput+" has") {
				t.Errorf("title %q, message %q; want them about %s", title, msg, tc.wantInput)
			}
			if n := len(e.requests()); n != 0 {
				t.Errorf("%d requests sent, want none", n)
			}
		})
	}
}

func TestRetriesThenSucceeds(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name   string
		faults []fault.Fault
		want   int // PUT requests the portal saw
	}{
		{name: "503 twice", faults: []fault.Fault{{Kind: fault.Status, Status: 503, Times: 2, Method: "PUT"}}, want: 3},
		{name: "429 with Retry-After 0", faults: []fault.Fault{{Kind: fault.Status, Status: 429, RetryAfter: "0", Times: 1}}, want: 2},
		{name: "dropped connection", faults: []fault.Fault{{Kind: fault.Drop, Times: 1}}, want: 2},
		{name: "reset mid-body", faults: []fault.Fault{{Kind: fault.Reset, Times: 1}}, want: 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			e := setup(t, "")
			e.portal.Faults().Add(tc.faults...)
			k, created, err := e.client.PutKey(t.Context(), project, app, iosUpload(t))
			if err != nil {
				t.Fatal(err)
			}
			// A Reset fault runs the real handler once: that attempt
			// stored the key, so the retry sees it and answers 200.
			if wantCreated := tc.faults[0].Kind != fault.Reset; created != wantCreated {
				t.Errorf("created = %v, want %v", created, wantCreated)
			}
			if k.KeyID != keyID {
				t.Errorf("KeyID = %q", k.KeyID)
			}
			if n := e.portal.Requests("PUT", project, app, portalstandin.IOS); n != tc.want {
				t.Errorf("portal saw %d PUTs, want %d", n, tc.want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()

	iosPath := portalstandin.Path(project, app, portalstandin.IOS)
	up := iosUpload(t)
	pemLine := strings.Split(up.PrivateKey, "\n")[1]

	type result struct {
		Status      int
		Code, Title string
	}
	cases := []struct {
		name     string
		prepare  func(e *env) *portal.Client // nil: the default client
		faults   []fault.Fault
		put      bool
		platform string
		ctx      func(context.Context) (context.Context, context.CancelFunc)
		want     result
		wantIn   []string // substrings of Error()
		wantNot  []string // must not appear in Error()
		requests int      // requests the portal must have seen; 0: not checked
	}{
		{name: "unknown token", prepare: func(e *env) *portal.Client { return withToken(e, "mos-Wrong-Token-0123456789-XYZabc") },
			want:   result{401, "unauthorized", "mos.portal rejected the token"},
			wantIn: []string{"Check the mos-token secret", "expired"}, wantNot: []string{"mos-Wrong-Token", "my-app", "App Store Connect"}, requests: 1},
		{name: "token of another project", prepare: func(e *env) *portal.Client { return withToken(e, otherToken) },
			want:    result{403, "forbidden", "mos.portal token lacks access"},
			wantIn:  []string{`no access to project "acme" in mos.portal, or the project name is misspelled`, "Check mos-project"},
			wantNot: []string{otherToken, "my-app", "App Store Connect"}},
		{name: "project not found", prepare: func(e *env) *portal.Client { e.portal.AddToken(token, "ghost"); return nil },
			want:   result{404, "project_not_found", "mos.portal project not found"},
			wantIn: []string{`no project "ghost"`, "mos-project"}},
		{name: "app not found", prepare: func(e *env) *portal.Client { return nil },
			want:   result{404, "app_not_found", "mos.portal app not found"},
			wantIn: []string{`has no app "ghost-app"`, "mos-apps"}},
		{name: "key not found", want: result{404, "key_not_found", "No key stored in mos.portal"},
			wantIn: []string{"holds no App Store Connect API key"}},
		{name: "Android key not found", platform: "android", want: result{404, "key_not_found", "No key stored in mos.portal"},
			wantIn: []string{"holds no Google Play service-account key"}},
		{name: "invalid key 422 from the portal's own validation", put: true,
			prepare: func(e *env) *portal.Client { return nil },
			want:    result{422, "invalid_key", "mos.portal refused the key"},
			wantIn:  []string{"422 invalid_key: keyId must be 10 upper-case letters or digits", "nothing was stored"}},
		{name: "invalid key 400", put: true,
			faults: []fault.Fault{{Kind: fault.Status, Status: 400, Body: `{"error":{"code":"invalid_key","message":"request body is not valid JSON"}}`}},
			want:   result{400, "invalid_key", "mos.portal refused the key"},
			wantIn: []string{"400 invalid_key: request body is not valid JSON"}},
		{name: "portal echoes the token and key in its message", put: true,
			faults: []fault.Fault{{Kind: fault.Status, Status: 422, Body: errorBody(t, "invalid_key", "token "+token+", key line "+pemLine+", pem "+up.PrivateKey)}},
			want:   result{422, "invalid_key", "mos.portal refused the key"},
			wantIn: []string{"[redacted]"}, wantNot: []string{pemLine, "BEGIN PRIVATE KEY"}},
		{name: "401 without a body", faults: []fault.Fault{{Kind: fault.Status, Status: 401, Body: " "}},
			want:   result{401, "", "mos-url is not mos.portal's API"},
			wantIn: []string{"mos-url (host 127.0.0.1:", "probably does not point at mos.portal's API", "401 Unauthorized without contract v1's error body"}, wantNot: []string{"mos-token"}},
		{name: "404 HTML page: wrong mos-url", faults: []fault.Fault{{Kind: fault.Status, Status: 404, Body: "<html><body>Page not found</body></html>"}},
			want:   result{404, "", "mos-url is not mos.portal's API"},
			wantIn: []string{"probably does not point at mos.portal's API", "Set mos-url to the portal's base URL", `<html><body>Page not found</body></html>`}},
		{name: "404 with another service's JSON", faults: []fault.Fault{{Kind: fault.Status, Status: 404, Body: `{"message":"Not Found"}`}},
			want: result{404, "", "mos-url is not mos.portal's API"}},
		{name: "500 page that quotes the token", faults: []fault.Fault{{Kind: fault.Status, Status: 500, Body: "<pre>Authorization: Bearer " + token + "\n\ntrace ...</pre>"}},
			want:   result{500, "", "mos.portal unavailable"},
			wantIn: []string{"500 Internal Server Error", "also after retries", "Bearer [redacted]"}, requests: 5},
		{name: "503 forever with a contract error", faults: []fault.Fault{{Kind: fault.Status, Status: 503, Body: `{"error":{"code":"maintenance","message":"back at 14:00"}}`}},
			want: result{503, "maintenance", "mos.portal unavailable"}, wantIn: []string{"503 Service Unavailable (maintenance: back at 14:00)", "run the workflow again later"}, requests: 5},
		{name: "418", faults: []fault.Fault{{Kind: fault.Status, Status: 418, Body: `{"error":{"code":"teapot","message":"short and stout"}}`}},
			want: result{418, "teapot", "Unexpected answer from mos.portal"}, wantIn: []string{"418 I'm a teapot (teapot: short and stout)", "contract v1 does not expect"}, requests: 1},
		{name: "redirect is refused, not followed", faults: []fault.Fault{{Kind: fault.Redirect, Location: "https://user:pw@login.example.com/sso?session=s3cr3t#x"}},
			want:   result{307, "", "mos.portal redirected the request"},
			wantIn: []string{"redirected to https://login.example.com. ", "never follows redirects"}, wantNot: []string{"s3cr3t", "pw@", "/sso"}, requests: 1},
		{name: "redirect of a PUT", put: true, faults: []fault.Fault{{Kind: fault.Redirect}},
			want: result{307, "", "mos.portal redirected the request"}, wantIn: []string{"http://127.0.0.2:9. "}, wantNot: []string{"/elsewhere"}, requests: 1},
		{name: "200 that is not JSON", faults: []fault.Fault{{Kind: fault.Malformed}},
			want:   result{200, "", "Unexpected answer from mos.portal"},
			wantIn: []string{"the body is not a JSON object"}, wantNot: []string{"html", "Service temporarily unavailable"}},
		{name: "200 cut in half", platform: "android", prepare: func(e *env) *portal.Client {
			e.portal.SetAndroidKey(project, app, portalstandin.AndroidRecord{ClientEmail: "a@b", PrivateKeyID: "k", Fingerprint: "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"})
			return nil
		}, faults: []fault.Fault{{Kind: fault.Truncated}},
			want: result{200, "", "Unexpected answer from mos.portal"}, wantIn: []string{"the body is not valid JSON"}},
		{name: "200 that echoes the upload", put: true, faults: []fault.Fault{{Kind: fault.Status, Status: 200, Body: fmt.Sprintf(`{"keyId":%q,"issuerId":%q,"privateKey":%q}`, keyID, issuerID, up.PrivateKey)}},
			want: result{200, "", "Unexpected answer from mos.portal"}, wantIn: []string{"no fingerprint"}, wantNot: []string{pemLine, "PRIVATE KEY"}},
		{name: "200 with a field of the wrong type", faults: []fault.Fault{{Kind: fault.Status, Status: 200, Body: `{"keyId":12345}`}},
			want: result{200, "", "Unexpected answer from mos.portal"}, wantIn: []string{"the field keyId is not a string"}},
		{name: "200 with a malformed uploadedAt", faults: []fault.Fault{{Kind: fault.Status, Status: 200, Body: `{"keyId":"ABCDE12345","issuerId":"57246542-96fe-1a63-e053-0824d011072a","fingerprint":"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU","uploadedAt":"yesterday"}`}},
			want: result{200, "", "Unexpected answer from mos.portal"}, wantIn: []string{"uploadedAt is not an RFC 3339 time"}},
		// Without the Issuer ID the right key filed for another team would
		// look like drift on every run: a contract violation, said as one.
		{name: "200 without an issuerId", faults: []fault.Fault{{Kind: fault.Status, Status: 200, Body: `{"keyId":"ABCDE12345","fingerprint":"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU","uploadedAt":"2025-03-01T12:00:00Z"}`}},
			want: result{200, "", "Unexpected answer from mos.portal"}, wantIn: []string{"the key record has no issuerId", "does not follow contract v1"}},
		{name: "PUT answered 202", put: true, faults: []fault.Fault{{Kind: fault.Status, Status: 202, Body: `{}`}},
			want: result{202, "", "Unexpected answer from mos.portal"}, wantIn: []string{"neither 200 nor 201"}},
		{name: "body larger than 1 MiB", faults: []fault.Fault{{Kind: fault.Huge, Size: 2 << 20}},
			want: result{0, "", "Unexpected answer from mos.portal"}, wantIn: []string{"larger than 1 MiB"}, requests: 1},
	}
	// Every message as the user reads it, pinned in a golden file.
	var mu sync.Mutex
	messages := map[string]string{}
	t.Cleanup(func() { // runs after the parallel subtests
		var b strings.Builder
		for _, tc := range cases {
			fmt.Fprintf(&b, "## %s\n%s\n\n", tc.name, messages[tc.name])
		}
		compareGolden(t, "errors.golden", b.String())
	})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			e := setup(t, "")
			c := e.client
			if tc.prepare != nil {
				if alt := tc.prepare(e); alt != nil {
					c = alt
				}
			}
			e.portal.Faults().Add(tc.faults...)
			proj, ap := project, app
			switch tc.want.Code {
			case "project_not_found":
				proj = "ghost"
			case "app_not_found":
				ap = "ghost-app"
			}
			upload := up
			if tc.want.Status == 422 && len(tc.faults) == 0 {
				upload.KeyID = "abc"
			}

			var err error
			switch {
			case tc.platform == "android" && tc.put:
				_, _, err = c.PutKey(t.Context(), proj, ap, androidUpload(t))
			case tc.platform == "android":
				_, err = c.GetKey(t.Context(), proj, ap, portal.PlatformAndroid)
			case tc.put:
				_, _, err = c.PutKey(t.Context(), proj, ap, upload)
			default:
				_, err = c.GetKey(t.Context(), proj, ap, portal.PlatformIOS)
			}
			var apiErr *portal.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error = %v (%T), want an *APIError", err, err)
			}
			title, msg := action.Explain(err)
			got := result{apiErr.Status, apiErr.Code, title}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("error %q (-want +got):\n%s", err, diff)
			}
			if apiErr.Project != proj || apiErr.App != ap {
				t.Errorf("error names %q/%q, want %q/%q", apiErr.Project, apiErr.App, proj, ap)
			}
			if portal.IsKeyNotFound(err) != (tc.want.Code == "key_not_found") {
				t.Errorf("IsKeyNotFound = %v", portal.IsKeyNotFound(err))
			}
			mu.Lock()
			// The stand-in's port changes from run to run.
			messages[tc.name] = title + "\n" + strings.ReplaceAll(msg, c.BaseURL.Host, "127.0.0.1:PORT")
			mu.Unlock()
			for _, s := range tc.wantIn {
				if !strings.Contains(msg, s) {
					t.Errorf("error %q does not contain %q", msg, s)
				}
			}
			for _, s := range append(tc.wantNot, token, pemLine) {
				if strings.Contains(msg, s) {
					t.Errorf("error %q contains %q", msg, s)
				}
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error %q spans several lines", msg)
			}
			if tc.requests > 0 {
				if n := e.portal.Faults().RequestsTo("", iosPath[:strings.LastIndex(iosPath, "/publisher")]); n != tc.requests {
					t.Errorf("portal saw %d requests, want %d", n, tc.requests)
				}
			}
		})
	}
}

// compareGolden compares got with testdata/name, or rewrites it with -update.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); rerun with -update if intended:\n%s", path, diff)
	}
}

func errorBody(t *testing.T, code, message string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	e.Error.Code, e.Error.Message = code, message
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func withToken(e *env, tok string) *portal.Client {
	c := *e.client
	c.Token = tok
	return &c
}

func TestNoAnswer(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name      string
		setup     func(t *testing.T) (*portal.Client, context.Context)
		wantTitle string
		wantIn    string
		wantIs    error
	}{
		{name: "nothing listens", wantTitle: "Cannot reach mos.portal", wantIn: "Check mos-url and that the portal is up",
			setup: func(t *testing.T) (*portal.Client, context.Context) {
				srv := httptest.NewServer(http.NotFoundHandler())
				base := srv.URL
				srv.Close()
				return newClient(t, base, token), t.Context()
			}},
		{name: "hangs past the deadline", wantTitle: "mos.portal did not answer in time", wantIn: "raise the timeout input", wantIs: context.DeadlineExceeded,
			setup: func(t *testing.T) (*portal.Client, context.Context) {
				e := setup(t, "")
				e.portal.Faults().Add(fault.Fault{Kind: fault.Hang})
				ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
				t.Cleanup(cancel)
				return e.client, ctx
			}},
		{name: "cancelled", wantTitle: "Cancelled while talking to mos.portal", wantIn: "the run was cancelled", wantIs: context.Canceled,
			setup: func(t *testing.T) (*portal.Client, context.Context) {
				e := setup(t, "")
				ctx, cancel := context.WithCancel(t.Context())
				cancel()
				return e.client, ctx
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			c, ctx := tc.setup(t)
			_, _, err := c.PutKey(ctx, project, app, iosUpload(t))
			var reqErr *portal.RequestError
			if !errors.As(err, &reqErr) {
				t.Fatalf("error = %v (%T), want a *RequestError", err, err)
			}
			title, msg := action.Explain(err)
			if title != tc.wantTitle {
				t.Errorf("Title = %q, want %q", title, tc.wantTitle)
			}
			if !strings.Contains(msg, tc.wantIn) {
				t.Errorf("error %q does not contain %q", err, tc.wantIn)
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
			}
			if strings.Contains(err.Error(), token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestUploadsDoNotPrintTheirKeys(t *testing.T) {
	t.Parallel()

	ios, android := iosUpload(t), androidUpload(t)
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, v := range []any{ios, &ios, android, &android} {
			out := fmt.Sprintf(format, v)
			if strings.Contains(out, "PRIVATE KEY") || strings.Contains(out, "MII") || strings.Contains(out, "MIG") {
				t.Errorf("Sprintf(%q, %T) prints the key: %s", format, v, out)
			}
		}
	}
	if got := fmt.Sprint(ios); !strings.Contains(got, keyID) {
		t.Errorf("Sprint(IOSKeyUpload) = %q, want the key ID", got)
	}
}
