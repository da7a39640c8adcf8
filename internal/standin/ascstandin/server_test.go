package ascstandin

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	f := setup(t, WithRateLimit(2))
	// A bad token is not charged to the key.
	if resp, _ := do(t, http.MethodGet, f.url+"/v1/apps", "Bearer x.y.z"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad token: status = %d, want 401", resp.StatusCode)
	}
	steps := []struct {
		advance    time.Duration
		wantStatus int
		wantHeader string
	}{
		{0, http.StatusOK, "user-hour-lim:2;user-hour-rem:1;"},
		{10 * time.Minute, http.StatusOK, "user-hour-lim:2;user-hour-rem:0;"},
		{time.Minute, http.StatusTooManyRequests, "user-hour-lim:2;user-hour-rem:0;"},
		{48*time.Minute + 59*time.Second, http.StatusTooManyRequests, "user-hour-lim:2;user-hour-rem:0;"},
		{time.Second, http.StatusOK, "user-hour-lim:2;user-hour-rem:0;"}, // an hour on, the first request left the window
	}
	for i, st := range steps {
		f.clock.Add(st.advance)
		// The token would expire over the hour; sign a fresh one each time.
		tok := "Bearer " + f.validToken(t)
		resp, body := do(t, http.MethodGet, f.url+"/v1/apps?limit=1", tok)
		if resp.StatusCode != st.wantStatus {
			t.Fatalf("step %d: status = %d, want %d; body:\n%s", i, resp.StatusCode, st.wantStatus, body)
		}
		if got := resp.Header.Get("X-Rate-Limit"); got != st.wantHeader {
			t.Errorf("step %d: X-Rate-Limit = %q, want %q", i, got, st.wantHeader)
		}
		if st.wantStatus != http.StatusTooManyRequests {
			continue
		}
		want := errorObject{Status: "429", Code: "RATE_LIMIT_EXCEEDED", Title: "The request rate limit has been reached.",
			Detail: "We've received too many requests for this API. Please wait and try again or slow down your request rate."}
		if diff := cmp.Diff(want, decodeError(t, body)); diff != "" {
			t.Errorf("step %d: error mismatch (-want +got):\n%s", i, diff)
		}
	}
}

func TestRateLimitIsPerKey(t *testing.T) {
	t.Parallel()
	f := setup(t, WithRateLimit(1))
	other := newKey(t)
	f.srv.AddKey(Key{KeyID: "ZYXWV98765", IssuerID: testIssuer, Public: &other.PublicKey})
	h, c := f.validParts()

	resp, _ := do(t, http.MethodGet, f.url+"/v1/apps", "Bearer "+f.validToken(t))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("first key: status = %d, want 200", resp.StatusCode)
	}
	h["kid"] = "ZYXWV98765"
	resp, _ = do(t, http.MethodGet, f.url+"/v1/apps", "Bearer "+sign(t, jwt.SigningMethodES256, other, h, c))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second key: status = %d, want 200", resp.StatusCode)
	}
	resp, _ = do(t, http.MethodGet, f.url+"/v1/apps", "Bearer "+f.validToken(t))
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("first key again: status = %d, want 429", resp.StatusCode)
	}
}

func TestFaultsComeBeforeTheAPI(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tok := "Bearer " + f.validToken(t)
	f.srv.Faults().Add(fault.Fault{Kind: fault.Status, Status: http.StatusServiceUnavailable, RetryAfter: "1", Times: 1, PathPrefix: "/v1/apps"})

	resp, _ := do(t, http.MethodGet, f.url+"/v1/apps", tok)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("first answer = %d (Retry-After %q), want the injected 503", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := f.srv.Requests(); got != 0 {
		t.Errorf("Requests() = %d after a faulted request, want 0", got)
	}
	resp, _ = do(t, http.MethodGet, f.url+"/v1/apps", tok)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("second answer = %d, want 200", resp.StatusCode)
	}
	if got := f.srv.Requests(); got != 1 {
		t.Errorf("Requests() = %d, want 1", got)
	}
	if got := f.srv.Faults().Requests(); got != 2 {
		t.Errorf("Faults().Requests() = %d, want 2", got)
	}

	f.srv.Faults().Add(fault.Fault{Kind: fault.Drop, Times: 1})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, f.url+"/v1/apps", nil)
	req.Header.Set("Authorization", tok)
	// A fresh connection: net/http silently retries a GET dropped on a reused one.
	fresh := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := fresh.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped connection answered %d", resp.StatusCode)
	}
}

func TestConcurrentRequests(t *testing.T) {
	t.Parallel()
	const n = 40
	f := setup(t, WithRateLimit(n))
	tok := "Bearer " + f.validToken(t)
	rems := make(chan string, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			resp, body := do(t, http.MethodGet, f.url+"/v1/apps?limit=1", tok)
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status = %d; body:\n%s", resp.StatusCode, body)
			}
			rems <- resp.Header.Get("X-Rate-Limit")
		})
	}
	wg.Wait()
	close(rems)
	seen := map[string]bool{}
	for r := range rems {
		seen[r] = true
	}
	for i := range n {
		if h := "user-hour-lim:" + strconv.Itoa(n) + ";user-hour-rem:" + strconv.Itoa(i) + ";"; !seen[h] {
			t.Errorf("no answer carried %q", h)
		}
	}
	if got := f.srv.Requests(); got != n {
		t.Errorf("Requests() = %d, want %d", got, n)
	}
	resp, _ := do(t, http.MethodGet, f.url+"/v1/apps", tok)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("request %d: status = %d, want 429", n+1, resp.StatusCode)
	}
}

func TestStartListensOnLoopbackAndStops(t *testing.T) {
	t.Parallel()
	srv := New()
	base, stop, err := srv.Start()
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL = %q, want http://127.0.0.1:<port>", base)
	}
	resp, _ := do(t, http.MethodGet, base+"/v1/apps", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401", resp.StatusCode)
	}
	stop()
	stop() // a second stop is harmless
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/v1/apps", nil)
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("stopped stand-in still answered %d", resp.StatusCode)
	}
}
