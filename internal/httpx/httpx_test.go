package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

const okBody = `{"data":[{"type":"apps","id":"1","attributes":{"bundleId":"com.example.app"}}]}`

func setup(t *testing.T, faults ...fault.Fault) (*fault.Injector, string) {
	t.Helper()
	inj := fault.New()
	inj.Add(faults...)
	srv := httptest.NewServer(inj.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, okBody)
	})))
	t.Cleanup(func() {
		inj.Close()
		srv.Close()
	})
	return inj, srv.URL
}

func newClient(log func(string)) *httpx.Client {
	return newClientWithAttempt(log, 500*time.Millisecond)
}

func newClientWithAttempt(log func(string), attempt time.Duration) *httpx.Client {
	return httpx.New(httpx.Config{
		Service:        "Test service",
		UserAgent:      "test-agent/1",
		WaitMin:        time.Millisecond,
		WaitMax:        5 * time.Millisecond,
		AttemptTimeout: attempt,
		Log:            log,
	})
}

func TestClientFaults(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name         string
		faults       []fault.Fault
		timeout      time.Duration
		wantStatus   int // 0: an error is expected
		wantBody     string
		wantErr      string
		wantRequests int
		// attempt bounds one attempt (default 500ms). A case whose answer
		// takes long to send under -race on a loaded machine needs more,
		// or a timed-out first attempt is retried.
		attempt time.Duration
	}{
		{name: "no fault", wantStatus: 200, wantBody: okBody, wantRequests: 1},
		{name: "503 twice then ok", faults: []fault.Fault{{Kind: fault.Status, Status: 503, Times: 2}}, wantStatus: 200, wantBody: okBody, wantRequests: 3},
		{name: "500 502 504 burst then ok", faults: []fault.Fault{{Kind: fault.Status, Status: 500, Times: 1}, {Kind: fault.Status, Status: 502, Times: 1}, {Kind: fault.Status, Status: 504, Times: 1}}, wantStatus: 200, wantRequests: 4},
		{name: "500 forever ends with the last answer", faults: []fault.Fault{{Kind: fault.Status, Status: 500}}, wantStatus: 500, wantRequests: 5},
		{name: "501 is not retried", faults: []fault.Fault{{Kind: fault.Status, Status: 501}}, wantStatus: 501, wantRequests: 1},
		{name: "401 is not retried", faults: []fault.Fault{{Kind: fault.Status, Status: 401}}, wantStatus: 401, wantRequests: 1},
		{name: "429 without Retry-After", faults: []fault.Fault{{Kind: fault.Status, Status: 429, Times: 1}}, wantStatus: 200, wantRequests: 2},
		{name: "429 with Retry-After 0", faults: []fault.Fault{{Kind: fault.Status, Status: 429, RetryAfter: "0", Times: 1}}, wantStatus: 200, wantRequests: 2},
		{name: "429 with Retry-After past the deadline", faults: []fault.Fault{{Kind: fault.Status, Status: 429, RetryAfter: "3600"}}, timeout: 5 * time.Second, wantStatus: 429, wantRequests: 1},
		{name: "429 with HTTP-date Retry-After past the deadline", faults: []fault.Fault{{Kind: fault.Status, Status: 429, RetryAfter: time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)}}, timeout: 5 * time.Second, wantStatus: 429, wantRequests: 1},
		{name: "dropped connection then ok", faults: []fault.Fault{{Kind: fault.Drop, Times: 1}}, wantStatus: 200, wantRequests: 2},
		{name: "reset mid-body then ok", faults: []fault.Fault{{Kind: fault.Reset, Times: 2}}, wantStatus: 200, wantBody: okBody, wantRequests: 3},
		{name: "dropped forever", faults: []fault.Fault{{Kind: fault.Drop}}, wantErr: "EOF", wantRequests: 5},
		{name: "hang ends at the deadline", faults: []fault.Fault{{Kind: fault.Hang}}, timeout: 300 * time.Millisecond, wantErr: "deadline exceeded"},
		{name: "trickle slower than the deadline", faults: []fault.Fault{{Kind: fault.Trickle, Delay: 50 * time.Millisecond}}, timeout: 300 * time.Millisecond, wantErr: "deadline exceeded"},
		{name: "huge body is refused without retry", faults: []fault.Fault{{Kind: fault.Huge, Size: 4 << 20}}, wantErr: "larger than", wantRequests: 1, attempt: 8 * time.Second},
		{name: "redirect is returned, not followed", faults: []fault.Fault{{Kind: fault.Redirect}}, wantStatus: 307, wantRequests: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			inj, url := setup(t, tc.faults...)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()

			req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, url+"/v1/apps", nil)
			if err != nil {
				t.Fatal(err)
			}
			attempt := tc.attempt
			if attempt == 0 {
				attempt = 500 * time.Millisecond
			}
			resp, err := newClientWithAttempt(nil, attempt).Do(req)
			if tc.wantStatus == 0 {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want an error containing %q", resp.StatusCode, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				body, err := httpx.ReadBody(resp, httpx.MaxBody)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tc.wantStatus {
					t.Errorf("status = %d, want %d", resp.StatusCode, tc.wantStatus)
				}
				if tc.wantBody != "" && string(body) != tc.wantBody {
					t.Errorf("body = %q, want %q", body, tc.wantBody)
				}
			}
			if tc.wantRequests > 0 {
				if got := inj.Requests(); got != tc.wantRequests {
					t.Errorf("server saw %d requests, want %d", got, tc.wantRequests)
				}
			}
		})
	}
}

func TestClientSendsUserAgentAndLogsRetries(t *testing.T) {
	t.Parallel()

	var gotUA string
	inj := fault.New()
	inj.Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 1})
	srv := httptest.NewServer(inj.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotUA = r.UserAgent()
		_, _ = io.WriteString(w, "{}")
	})))
	t.Cleanup(srv.Close)

	var mu sync.Mutex
	var lines []string
	client := newClient(func(s string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, s)
	})
	req, _ := retryablehttp.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/secret-path?token=abc", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if gotUA != "test-agent/1" {
		t.Errorf("User-Agent = %q, want test-agent/1", gotUA)
	}
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "Test service: answered 503; retry 1 of 4 in ") {
		t.Errorf("retry log = %q, want one line naming the service, status and attempt", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, "token") || strings.Contains(l, "secret-path") {
			t.Errorf("retry log %q leaks the URL", l)
		}
	}
}

func TestBodyTooLargeIsTyped(t *testing.T) {
	t.Parallel()

	_, url := setup(t, fault.Fault{Kind: fault.Huge, Size: httpx.MaxBody + 10})
	req, _ := retryablehttp.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	_, err := newClient(nil).Do(req)
	var tooLarge *httpx.BodyTooLargeError
	if !errors.As(err, &tooLarge) {
		t.Fatalf("error = %v, want a *BodyTooLargeError", err)
	}
}

func TestParseBaseURL(t *testing.T) {
	t.Parallel()

	cases := []struct {
		in, want, wantErr string
	}{
		{in: "https://portal.mos.example", want: "https://portal.mos.example"},
		{in: " https://portal.mos.example/base/ ", want: "https://portal.mos.example/base"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "http://[::1]:8080/", want: "http://[::1]:8080"},
		{in: "http://localhost:1", want: "http://localhost:1"},
		{in: "http://portal.mos.example", wantErr: "plain http to portal.mos.example"},
		{in: "http://10.0.0.1", wantErr: "plain http"},
		{in: "ftp://portal.mos.example", wantErr: `scheme "ftp"`},
		{in: "portal.mos.example", wantErr: "not an absolute URL"},
		{in: "https://user:pw@portal.mos.example", wantErr: "credentials"},
		{in: "https://portal.mos.example/?a=b", wantErr: "query"},
		{in: "", wantErr: "is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()

			u, err := httpx.ParseBaseURL("mos-url", tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseBaseURL(%q) error = %v, want %q", tc.in, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "pw") {
					t.Errorf("error echoes the credentials: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBaseURL(%q): %v", tc.in, err)
			}
			if u.String() != tc.want {
				t.Errorf("ParseBaseURL(%q) = %q, want %q", tc.in, u, tc.want)
			}
		})
	}
}

// TestLabelledRetryLines: each retry line names the request it is about,
// also when no answer came (the case a response cannot name), with the
// status code only, and nothing of the URL's query.
func TestLabelledRetryLines(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault fault.Fault
		label string
		want  string
	}{
		{"503", fault.Fault{Kind: fault.Status, Status: 503, Times: 1}, "mos.portal GET weather/ios",
			"mos.portal GET weather/ios: answered 503; retry 1 of 4 in "},
		{"no answer", fault.Fault{Kind: fault.Drop, Times: 1}, "App Store Connect GET /v1/apps",
			"App Store Connect GET /v1/apps: did not answer; retry 1 of 4 in "},
		{"429", fault.Fault{Kind: fault.Status, Status: 429, Times: 1}, "Google token endpoint",
			"Google token endpoint: answered 429; retry 1 of 4 in "},
		{"unlabelled", fault.Fault{Kind: fault.Status, Status: 502, Times: 1}, "",
			"Test service: answered 502; retry 1 of 4 in "},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, url := setup(t, tc.fault)
			var mu sync.Mutex
			var lines []string
			client := newClient(func(s string) {
				mu.Lock()
				defer mu.Unlock()
				lines = append(lines, s)
			})
			do := client.Client
			if tc.label != "" {
				do = client.Labelled(tc.label)
			}
			req, _ := retryablehttp.NewRequestWithContext(t.Context(), http.MethodGet, url+"/v1/apps?secret=abc", nil)
			resp, err := do.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			mu.Lock()
			defer mu.Unlock()
			if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
				t.Errorf("retry lines = %q, want one starting %q", lines, tc.want)
			}
			for _, l := range lines {
				if strings.Contains(l, "secret") || strings.Contains(l, "Service Unavailable") {
					t.Errorf("retry line %q shows the query or the reason phrase", l)
				}
			}
		})
	}
}
