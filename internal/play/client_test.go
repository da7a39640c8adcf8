package play_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/play"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
	"github.com/mos-tools/publisher-keys/internal/testkit"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const (
	email      = "publisher@mos-test.iam.gserviceaccount.com"
	keyID      = "5b0c1d9e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c"
	projectID  = "mos-test"
	projectNum = "123456789012"
	appA       = "com.example.alpha"
	appB       = "com.example.beta"
	notGranted = "com.example.other"
)

type env struct {
	srv     *googlestandin.Server
	base    string
	clock   *testkit.Clock
	client  *play.Client
	mu      sync.Mutex
	secrets []string
}

func (e *env) masked() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.secrets...)
}

// setup starts a stand-in that knows the service account, grants it appA
// and appB, and knows notGranted without a grant; it returns a client for
// a key file pointing at the stand-in's token endpoint.
func setup(t *testing.T) *env {
	t.Helper()
	srv, base, c := testkit.Google(t, func(srv *googlestandin.Server) {
		srv.AddServiceAccount(email, keyID, &testKey().PublicKey, projectNum)
		srv.AddPackage(appA, email)
		srv.AddPackage(appB, email)
		srv.AddPackage(notGranted)
	})
	e := &env{srv: srv, base: base, clock: c}
	e.client = e.newClient(t, base+"/token")
	return e
}

func (e *env) newClient(t *testing.T, tokenURI string) *play.Client {
	t.Helper()
	file, err := googlestandin.KeyFile(email, keyID, projectID, tokenURI, testKey())
	if err != nil {
		t.Fatal(err)
	}
	k, err := playkey.Parse(string(file))
	if err != nil {
		t.Fatal(err)
	}
	baseURL, err := httpx.ParseBaseURL("play-api-url", e.base)
	if err != nil {
		t.Fatal(err)
	}
	return &play.Client{
		BaseURL: baseURL,
		HTTP: httpx.New(httpx.Config{
			Service: "Google", WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond, AttemptTimeout: 2 * time.Second,
		}),
		Key: k,
		// TestCheck covers play-check: edit; TestCheckRead the default.
		Edit: true,
		// The stand-in's clock may be skewed; this machine's is not.
		Now: time.Now,
		Secret: func(s string) {
			e.mu.Lock()
			defer e.mu.Unlock()
			e.secrets = append(e.secrets, s)
		},
	}
}

// outcome is what a test compares: the class of failure of the token
// exchange, and per package the class of failure ("ok" when none).
type outcome struct {
	Token    string
	Packages map[string]string
}

func summarize(t *testing.T, res *play.Result, err error) outcome {
	t.Helper()
	o := outcome{Token: "ok", Packages: map[string]string{}}
	var te *play.TokenError
	if errors.As(err, &te) {
		o.Token = string(te.Kind)
	}
	for _, p := range res.Packages {
		switch {
		case p.Err == nil:
			o.Packages[p.Package] = "ok"
		default:
			var ae *play.APIError
			if !errors.As(p.Err, &ae) {
				t.Fatalf("%s: error %T is not an *APIError", p.Package, p.Err)
			}
			if ae.Package != p.Package || !strings.Contains(ae.Error(), p.Package) || advisedTitle(ae) == "" {
				t.Errorf("error of %s does not name it: %q", p.Package, ae.Error())
			}
			o.Packages[p.Package] = string(ae.Kind)
		}
	}
	return o
}

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		packages []string
		prepare  func(t *testing.T, e *env)
		want     outcome
		// phrases the error message must contain
		message []string
		inserts int // POSTs of edits that reached the stand-in (-1: don't check)
	}{
		{
			name: "key works for every package", packages: []string{appA, appB},
			want: outcome{"ok", map[string]string{appA: "ok", appB: "ok"}}, inserts: 2,
		},
		{
			name: "a package listed twice is checked once", packages: []string{appA, appA},
			want: outcome{"ok", map[string]string{appA: "ok"}}, inserts: 1,
		},
		{
			name: "no packages: only the token", packages: nil,
			want: outcome{"ok", map[string]string{}}, inserts: 0,
		},
		{
			name: "deleted key", packages: []string{appA},
			prepare: func(t *testing.T, e *env) { e.srv.DeleteKey(email, keyID) },
			want:    outcome{"key-invalid", map[string]string{}}, inserts: 0,
			message: []string{"Google no longer publishes the certificate of key " + keyID + ": it was deleted or disabled in Google Cloud", email, "Invalid JWT Signature."},
		},
		{
			name: "rotated key: the account has only a newer one", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				other, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					t.Fatal(err)
				}
				e.srv.DeleteKey(email, keyID)
				e.srv.AddServiceAccount(email, "ffff", &other.PublicKey, projectNum)
			},
			want: outcome{"key-invalid", map[string]string{}}, inserts: 0,
		},
		{
			name: "deleted service account", packages: []string{appA},
			prepare: func(t *testing.T, e *env) { e.srv.DeleteServiceAccount(email) },
			want:    outcome{"account-not-found", map[string]string{}}, inserts: 0,
			message: []string{email, "deleted or disabled", "account not found"},
		},
		{
			name: "clock two hours behind Google", packages: []string{appA},
			prepare: func(t *testing.T, e *env) { e.clock.Advance(2 * time.Hour) },
			want:    outcome{"clock-skew", map[string]string{}}, inserts: 0,
			message: []string{"this machine's clock", "NTP", "short-lived token"},
		},
		{
			name: "API disabled in the Cloud project", packages: []string{appA, appB},
			prepare: func(t *testing.T, e *env) { e.srv.DisableAPI(projectNum) },
			want:    outcome{"ok", map[string]string{appA: "api-disabled", appB: "api-disabled"}}, inserts: 2,
			message: []string{play.EnableURL(projectNum), "project " + projectNum},
		},
		{
			name: "not invited for the app", packages: []string{notGranted},
			want: outcome{"ok", map[string]string{notGranted: "permission-denied"}}, inserts: 1,
			message: []string{email, "Users and permissions", "24–36 hours", "The caller does not have permission"},
		},
		{
			name: "unknown package", packages: []string{"com.example.typo"},
			want: outcome{"ok", map[string]string{"com.example.typo": "package-not-found"}}, inserts: 1,
			message: []string{"Package not found: com.example.typo.", "uploaded by hand"},
		},
		{
			name: "one good, one unknown, one not granted", packages: []string{appA, "com.example.typo", notGranted},
			want:    outcome{"ok", map[string]string{appA: "ok", "com.example.typo": "package-not-found", notGranted: "permission-denied"}},
			inserts: 3,
		},
		{
			name: "503 from the token endpoint, then a token", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 1, PathPrefix: "/token"})
			},
			want: outcome{"ok", map[string]string{appA: "ok"}}, inserts: 1,
		},
		{
			name: "503 on insert, then success", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 2, Method: "POST", PathPrefix: "/androidpublisher/"})
			},
			want: outcome{"ok", map[string]string{appA: "ok"}}, inserts: 3,
		},
		{
			name: "dropped connection on insert, then success", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Drop, Times: 1, Method: "POST", PathPrefix: "/androidpublisher/"})
			},
			want: outcome{"ok", map[string]string{appA: "ok"}}, inserts: 2,
		},
		{
			name: "503 on insert forever", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Method: "POST", PathPrefix: "/androidpublisher/"})
			},
			want: outcome{"ok", map[string]string{appA: "unavailable"}}, inserts: 5,
		},
		{
			name: "429 from the token endpoint forever", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 429, Body: `{"error":"rate_limit_exceeded"}`, PathPrefix: "/token"})
			},
			want: outcome{"unavailable", map[string]string{}}, inserts: 0,
		},
		{
			name: "token endpoint redirects", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Redirect, PathPrefix: "/token"})
			},
			want: outcome{"redirect", map[string]string{}}, inserts: 0,
			message: []string{"redirect"},
		},
		{
			name: "token endpoint answers HTML", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Malformed, PathPrefix: "/token"})
			},
			want: outcome{"malformed", map[string]string{}}, inserts: 0,
		},
		{
			name: "Play API answers HTML", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Malformed, Method: "POST", PathPrefix: "/androidpublisher/"})
			},
			want: outcome{"ok", map[string]string{appA: "malformed"}}, inserts: 1,
		},
		{
			name: "Play API redirects", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Redirect, Method: "POST", PathPrefix: "/androidpublisher/"})
			},
			want: outcome{"ok", map[string]string{appA: "redirect"}}, inserts: 1,
		},
		{
			name: "Play API refuses the token", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 401, Method: "POST", PathPrefix: "/androidpublisher/",
					Body: `{"error":{"code":401,"message":"Request had invalid authentication credentials.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError"}],"status":"UNAUTHENTICATED"}}`})
			},
			want: outcome{"ok", map[string]string{appA: "unauthenticated"}}, inserts: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			if tc.prepare != nil {
				tc.prepare(t, e)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			res, err := e.client.Check(ctx, tc.packages)
			if res == nil {
				t.Fatal("Check returned no result")
			}
			got := summarize(t, res, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
			wantErr := tc.want.Token != "ok"
			for _, s := range tc.want.Packages {
				wantErr = wantErr || s != "ok"
			}
			if (err != nil) != wantErr {
				t.Fatalf("error = %v, want error: %v", err, wantErr)
			}
			if err != nil {
				title, msg := action.Explain(err)
				for _, phrase := range tc.message {
					if !strings.Contains(msg, phrase) {
						t.Errorf("message does not contain %q:\n%s", phrase, msg)
					}
				}
				for _, s := range e.masked() {
					if strings.Contains(msg, s) {
						t.Error("message contains a secret")
					}
				}
				if title == "" || title == "Error" {
					t.Error("no title")
				}
			}
			if tc.inserts >= 0 {
				if n := e.srv.Faults().RequestsTo("POST", "/androidpublisher/"); n != tc.inserts {
					t.Errorf("edit inserts sent = %d, want %d", n, tc.inserts)
				}
			}
			if n := e.srv.TotalOpenEdits(); n != 0 {
				t.Errorf("%d edits left open, want every edit deleted", n)
			}
			for _, p := range res.Packages {
				if p.Warning != "" {
					t.Errorf("%s: unexpected warning %q", p.Package, p.Warning)
				}
			}
			if got.Token == "ok" {
				if !res.TokenOK || e.srv.TokensIssued() != 1 {
					t.Errorf("TokenOK = %v, tokens issued = %d, want one token per run", res.TokenOK, e.srv.TokensIssued())
				}
				assertMasked(t, e.masked())
			}
		})
	}
}

// assertMasked checks that Secret saw the signed assertion and the access
// token.
func assertMasked(t *testing.T, secrets []string) {
	t.Helper()
	var assertion, token bool
	for _, s := range secrets {
		assertion = assertion || strings.Count(s, ".") == 2 && strings.HasPrefix(s, "eyJ")
		token = token || strings.HasPrefix(s, "ya29.")
	}
	if !assertion || !token {
		t.Errorf("Secret saw assertion: %v, access token: %v; want both", assertion, token)
	}
}

func TestCheckRefusesBadPackageNamesBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, err := e.client.Check(t.Context(), []string{appA, "not a package", "com.example/../x", "single"})
	var pe *play.PackageNameError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v, want a *PackageNameError", err)
	}
	if _, msg := action.Explain(err); strings.Count(msg, "is not an Android package name") != 3 {
		t.Errorf("error does not name 3 bad packages: %v", msg)
	}
	if n := e.srv.Faults().Requests(); n != 0 {
		t.Errorf("%d requests sent, want none", n)
	}
}

func TestCheckNetworkAndTimeout(t *testing.T) {
	t.Parallel()
	t.Run("token endpoint unreachable", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		c := e.newClient(t, "http://127.0.0.1:1/token")
		_, err := c.Check(t.Context(), []string{appA})
		var te *play.TokenError
		if !errors.As(err, &te) || te.Kind != play.TokenNetwork {
			t.Fatalf("error = %v, want a network *TokenError", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("message does not name the endpoint: %v", err)
		}
	})
	t.Run("insert hangs past the deadline", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.srv.Faults().Add(fault.Fault{Kind: fault.Hang, Method: "POST", PathPrefix: "/androidpublisher/"})
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		res, err := e.client.Check(ctx, []string{appA})
		var ae *play.APIError
		if !errors.As(err, &ae) || ae.Kind != play.APITimeout {
			t.Fatalf("error = %v, want a timeout *APIError", err)
		}
		if len(res.Packages) != 1 || res.Packages[0].Err == nil {
			t.Errorf("result = %+v", res)
		}
	})
	t.Run("delete hangs: the check leaves half the time to what follows", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.srv.Faults().Add(fault.Fault{Kind: fault.Hang, Method: "DELETE"})
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		defer cancel()
		res, err := e.client.Check(ctx, []string{appA})
		if err != nil {
			t.Fatalf("the key works, yet Check failed: %v", err)
		}
		if w := res.Packages[0].Warning; !strings.Contains(w, appA) || !strings.Contains(w, "no answer") {
			t.Errorf("warning = %q, want one naming %s and that no answer came", w, appA)
		}
		// The delete may take half of what was left; the upload that
		// follows the check gets the other half.
		dl, _ := ctx.Deadline()
		if left := time.Until(dl); left < 800*time.Millisecond {
			t.Errorf("Check left %s of 2s; a hung clean-up must leave about half", left.Round(time.Millisecond))
		}
	})
	t.Run("token endpoint hangs past the deadline", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.srv.Faults().Add(fault.Fault{Kind: fault.Hang, PathPrefix: "/token"})
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		_, err := e.client.Check(ctx, []string{appA})
		var te *play.TokenError
		if !errors.As(err, &te) || te.Kind != play.TokenTimeout {
			t.Fatalf("error = %v, want a timeout *TokenError", err)
		}
	})
}

func TestCheckWarnsWhenTheEditCannotBeDeleted(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 500, Method: "DELETE"})
	res, err := e.client.Check(t.Context(), []string{appA})
	if err != nil {
		t.Fatalf("the key works, yet Check failed: %v", err)
	}
	if w := res.Packages[0].Warning; !strings.Contains(w, appA) || !strings.Contains(w, "HTTP 500") || !strings.Contains(w, "discards it at") {
		t.Errorf("warning = %q", w)
	}
	if n := e.srv.Faults().RequestsTo("DELETE", "/androidpublisher/"); n != 5 {
		t.Errorf("deletes sent = %d, want 5 (retried)", n)
	}
}

func TestCheckAfterAnotherEditOfTheSameAccount(t *testing.T) {
	t.Parallel()
	// A second run while the first still holds an edit: the new insert
	// invalidates the old edit, and the check itself leaves nothing open.
	e := setup(t)
	for range 2 {
		if _, err := e.client.Check(t.Context(), []string{appA}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.srv.OpenEdits(appA); n != 0 {
		t.Errorf("%d edits open", n)
	}
}

func advisedTitle(err error) string {
	title, _ := action.Explain(err)
	return title
}
