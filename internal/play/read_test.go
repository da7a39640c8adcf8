package play_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/play"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
)

const releasesOf = "/androidpublisher/v3/applications/"

// TestCheckRead is play-check: read, the default: one GET of the production
// track per package, and never an edit.
func TestCheckRead(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		packages []string
		prepare  func(t *testing.T, e *env)
		want     outcome
		message  []string
		reads    int // GETs of a track that reached the stand-in
	}{
		{
			name: "key works for every package", packages: []string{appA, appB},
			want: outcome{"ok", map[string]string{appA: "ok", appB: "ok"}}, reads: 2,
		},
		{
			name: "not invited for the app", packages: []string{notGranted},
			want: outcome{"ok", map[string]string{notGranted: "permission-denied"}}, reads: 1,
			message: []string{email, "Users and permissions"},
		},
		{
			name: "unknown package", packages: []string{"com.example.typo"},
			want: outcome{"ok", map[string]string{"com.example.typo": "package-not-found"}}, reads: 1,
			message: []string{"Package not found: com.example.typo.", "uploaded by hand"},
		},
		{
			name: "API disabled", packages: []string{appA},
			prepare: func(t *testing.T, e *env) { e.srv.DisableAPI(projectNum) },
			want:    outcome{"ok", map[string]string{appA: "api-disabled"}}, reads: 1,
			message: []string{play.EnableURL(projectNum)},
		},
		{
			name: "a 200 without releases passes", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 200, Method: "GET", PathPrefix: releasesOf,
					Body: `{"kind":"androidpublisher#releaseList"}`})
			},
			want: outcome{"ok", map[string]string{appA: "ok"}}, reads: 1,
		},
		{
			name: "503, then the list", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 1, Method: "GET", PathPrefix: releasesOf})
			},
			want: outcome{"ok", map[string]string{appA: "ok"}}, reads: 2,
		},
		{
			name: "HTML instead of the list", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Malformed, Method: "GET", PathPrefix: releasesOf})
			},
			want: outcome{"ok", map[string]string{appA: "malformed"}}, reads: 1,
			message: []string{"reading the production track of " + appA},
		},
		{
			name: "the token is refused", packages: []string{appA},
			prepare: func(t *testing.T, e *env) {
				e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 401, Method: "GET", PathPrefix: releasesOf,
					Body: `{"error":{"code":401,"message":"Request had invalid authentication credentials.","status":"UNAUTHENTICATED"}}`})
			},
			want: outcome{"ok", map[string]string{appA: "unauthenticated"}}, reads: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.client.Edit = false
			if tc.prepare != nil {
				tc.prepare(t, e)
			}
			res, err := e.client.Check(t.Context(), tc.packages)
			got := summarize(t, res, err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outcome mismatch (-want +got):\n%s\nerror: %v", diff, err)
			}
			for _, phrase := range tc.message {
				if _, msg := action.Explain(err); err == nil || !strings.Contains(msg, phrase) {
					t.Errorf("error %v does not contain %q", err, phrase)
				}
			}
			if n := e.srv.Faults().RequestsTo("GET", releasesOf); n != tc.reads {
				t.Errorf("track reads = %d, want %d", n, tc.reads)
			}
			if n := e.srv.EditsOpened(); n != 0 {
				t.Errorf("%d edits opened, want none in play-check: read", n)
			}
			if n := e.srv.Faults().RequestsTo("", "/androidpublisher/v3/applications/"+appA+"/edits"); n != 0 {
				t.Errorf("%d requests to edits, want none", n)
			}
		})
	}
}

func TestCheckEditOpensAndDeletesOnePerPackage(t *testing.T) {
	t.Parallel()
	e := setup(t) // Edit: true
	if _, err := e.client.Check(t.Context(), []string{appA, appB}); err != nil {
		t.Fatal(err)
	}
	if n := e.srv.EditsOpened(); n != 2 {
		t.Errorf("edits opened = %d, want 2", n)
	}
	if n := e.srv.Faults().RequestsTo("DELETE", releasesOf); n != 2 {
		t.Errorf("edits deleted = %d, want 2", n)
	}
	if n := e.srv.ReleaseReads(); n != 0 {
		t.Errorf("track reads = %d, want none in play-check: edit", n)
	}
}

func TestLifetime(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	expires := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)

	t.Run("read from the certificate, without credentials", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.srv.SetKeyValidity(email, keyID, created, expires)
		rec := &recorder{}
		e.client.CertTransport = rec
		res, err := e.client.Check(t.Context(), []string{appA})
		if err != nil {
			t.Fatal(err)
		}
		want := play.Lifetime{Read: true, Listed: true, Created: created, Expires: expires}
		if diff := cmp.Diff(want, res.Lifetime); diff != "" {
			t.Errorf("lifetime (-want +got):\n%s", diff)
		}
		if got := rec.requests(); len(got) != 1 || got[0].auth != "" || got[0].method != http.MethodGet {
			t.Errorf("certificate requests = %+v, want one GET without Authorization", got)
		}
	})
	t.Run("year 9999 means it never expires", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.srv.SetKeyValidity(email, keyID, created, time.Time{})
		res, err := e.client.Check(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Lifetime.Known() || !res.Lifetime.Expires.IsZero() || !res.Lifetime.Created.Equal(created) {
			t.Errorf("lifetime = %+v, want known, created %s, no expiry", res.Lifetime, created)
		}
	})
	t.Run("a key still listed keeps today's causes", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		// The JSON was edited: the signature fails while the key exists.
		e.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: 400, PathPrefix: "/token",
			Body: `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`})
		_, err := e.client.Check(t.Context(), []string{appA})
		var te *play.TokenError
		if !errors.As(err, &te) || te.Kind != play.TokenKeyInvalid {
			t.Fatalf("error = %v, want a key-invalid *TokenError", err)
		}
		if msg := err.Error(); !strings.Contains(msg, "still publishes the key's certificate") || !strings.Contains(msg, "the JSON was edited") {
			t.Errorf("message = %s", msg)
		}
	})
}

// TestLifetimeURLs: a crafted client_x509_cert_url is never requested.
func TestLifetimeURLs(t *testing.T) {
	t.Parallel()
	google := play.GoogleCertPrefix
	cases := []struct {
		name, url string
		allowed   bool
	}{
		{"absent: Google's list of client_email", "", true},
		{"Google's, @ escaped", google + "publisher%40mos-test.iam.gserviceaccount.com", true},
		{"Google's, @ as is", google + "publisher@mos-test.iam.gserviceaccount.com", true},
		{"loopback", "http://127.0.0.1:9/robot/v1/metadata/x509/x", true},
		{"another host", "https://evil.example/robot/v1/metadata/x509/publisher%40mos-test.iam.gserviceaccount.com", false},
		{"plain http to Google", "http://www.googleapis.com/robot/v1/metadata/x509/publisher%40mos-test.iam.gserviceaccount.com", false},
		{"userinfo", "https://www.googleapis.com@evil.example/robot/v1/metadata/x509/publisher%40mos-test.iam.gserviceaccount.com", false},
		{"userinfo on loopback", "http://user:pw@127.0.0.1:9/x", false},
		{"another e-mail", google + "other%40mos-test.iam.gserviceaccount.com", false},
		{"a path after the e-mail", google + "publisher%40mos-test.iam.gserviceaccount.com/../x", false},
		{"a query", google + "publisher%40mos-test.iam.gserviceaccount.com?x=1", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.client.Key.CertURL = tc.url
			got, err := play.CertListURL(e.client.Key)
			if (err == nil) != tc.allowed {
				t.Fatalf("CertListURL(%q) = %q, %v; want allowed: %v", tc.url, got, err, tc.allowed)
			}
			if tc.allowed {
				return
			}
			rec := &recorder{}
			e.client.CertTransport = rec
			res, err := e.client.Check(t.Context(), []string{appA})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(rec.requests()); n != 0 {
				t.Errorf("%d requests for a refused certificate URL", n)
			}
			if res.Lifetime.Read || res.Lifetime.Unknown == "" {
				t.Errorf("lifetime = %+v, want unknown with a reason", res.Lifetime)
			}
		})
	}
}

// TestLifetimeFaults: whatever the certificate list does, the verdict is the
// same and comes within CertTimeout.
func TestLifetimeFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		fault   fault.Fault
		deleted bool // the key is deleted: the token exchange fails
		// deadline is the Check's context deadline (default 20s, so the
		// "hangs" row shows the CertTimeout bound); the list gets at most
		// half of it, so a shorter one ends another hang sooner.
		deadline time.Duration
	}{
		{"hangs", fault.Fault{Kind: fault.Hang}, false, 0},
		{"garbage", fault.Fault{Kind: fault.Malformed}, false, 0},
		{"huge body", fault.Fault{Kind: fault.Huge, Size: 4 << 20}, false, 0},
		{"404", fault.Fault{Kind: fault.Status, Status: 404, Body: "<html>Not Found</html>"}, false, 0},
		{"redirect", fault.Fault{Kind: fault.Redirect}, false, 0},
		{"hangs, key deleted", fault.Fault{Kind: fault.Hang}, true, 2 * time.Second},
		{"garbage, key deleted", fault.Fault{Kind: fault.Malformed}, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.client.Edit = false
			tc.fault.PathPrefix = googlestandin.CertPath
			e.srv.Faults().Add(tc.fault)
			if tc.deleted {
				e.srv.DeleteKey(email, keyID)
			}
			deadline := 20 * time.Second
			if tc.deadline > 0 {
				deadline = tc.deadline
			}
			ctx, cancel := context.WithTimeout(t.Context(), deadline)
			defer cancel()
			start := time.Now()
			res, err := e.client.Check(ctx, []string{appA})
			if took := time.Since(start); took > play.CertTimeout+time.Second {
				t.Errorf("Check took %s, want at most %s", took.Round(time.Millisecond), play.CertTimeout)
			}
			if res.Lifetime.Read || res.Lifetime.Unknown == "" {
				t.Errorf("lifetime = %+v, want unknown with a reason", res.Lifetime)
			}
			var te *play.TokenError
			switch {
			case !tc.deleted && err != nil:
				t.Errorf("the key works, yet Check failed: %v", err)
			case tc.deleted && (!errors.As(err, &te) || te.Kind != play.TokenKeyInvalid):
				t.Errorf("error = %v, want today's key-invalid *TokenError", err)
			case tc.deleted && strings.Contains(err.Error(), "no longer publishes"):
				t.Errorf("an unread list must not claim the certificate is gone: %v", err)
			}
			if n := e.srv.Faults().RequestsTo("GET", googlestandin.CertPath); n != 1 {
				t.Errorf("certificate requests = %d, want exactly one", n)
			}
		})
	}
}

type certRequest struct{ method, auth string }

// recorder passes requests to the default transport and remembers them.
type recorder struct {
	mu   sync.Mutex
	seen []certRequest
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.seen = append(r.seen, certRequest{req.Method, req.Header.Get("Authorization")})
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *recorder) requests() []certRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]certRequest(nil), r.seen...)
}
