package appstore

import (
	"context"
	"crypto/elliptic"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/testkit"
	"github.com/mos-tools/publisher-keys/internal/version"
)

const otherIssuerID = "69a6de8d-e294-47e3-e053-5b8c7c11a4d1"

// appleError is the body App Store Connect sends with a status, for faults.
func appleError(status int, code, title, detail string) string {
	return fmt.Sprintf(`{"errors":[{"id":"e1","status":"%d","code":%q,"title":%q,"detail":%q}]}`, status, code, title, detail)
}

// seen records what reached the server, in front of the stand-in.
type seen struct {
	mu       sync.Mutex
	queries  []url.Values
	auth     []string
	agents   []string
	accepted []string
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.queries = append(s.queries, r.URL.Query())
		s.auth = append(s.auth, r.Header.Get("Authorization"))
		s.agents = append(s.agents, r.Header.Get("User-Agent"))
		s.accepted = append(s.accepted, r.Header.Get("Accept"))
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

type env struct {
	asc    *ascstandin.Server
	client *Client
	seen   *seen
}

// setup starts the App Store Connect stand-in on loopback with one admin
// team key (adjusted by key) and a few apps, and a client pointed at it.
func setup(t *testing.T, key func(*ascstandin.Key), opts ...ascstandin.Option) *env {
	t.Helper()
	priv := newKey(t, elliptic.P256())
	asc := ascstandin.New(opts...)
	k := ascstandin.Key{KeyID: testKeyID, IssuerID: testIssuerID, Public: &priv.PublicKey, Role: ascstandin.RoleAppManager}
	if key != nil {
		key(&k)
	}
	asc.AddKey(k)
	for i, b := range []string{"com.example.app", "com.example.app.widget", "com.example.other"} {
		asc.AddApp(ascstandin.App{ID: fmt.Sprint(1000 + i), BundleID: b, Name: b, IssuerID: testIssuerID})
	}
	asc.AddApp(ascstandin.App{ID: "2000", BundleID: "com.someone.else", Name: "Else", IssuerID: otherIssuerID})

	s := &seen{}
	ts := httptest.NewServer(s.wrap(asc.Handler()))
	t.Cleanup(ts.Close)
	t.Cleanup(asc.Faults().Close) // runs first: releases hung requests

	base, err := httpx.ParseBaseURL("asc-api-url", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	return &env{
		asc:  asc,
		seen: s,
		client: &Client{
			BaseURL: base,
			HTTP: httpx.New(httpx.Config{Service: "App Store Connect", UserAgent: version.UserAgent(),
				WaitMin: time.Millisecond, WaitMax: 10 * time.Millisecond, AttemptTimeout: 5 * time.Second}),
			Signer: &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: priv},
		},
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		key       func(*ascstandin.Key)
		opts      []ascstandin.Option
		agreement ascstandin.Agreement // of the key's team
		issuer    string               // signer's Issuer ID, if not the key's
		faults    []fault.Fault
		bundleIDs []string
		timeout   time.Duration

		want         *Check
		wantErr      string // %T of the error
		wantStatus   int    // for *APIError
		wantMsg      []string
		wantRequests int
		minElapsed   time.Duration
	}{
		{
			name: "valid key", want: &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 1,
		},
		{
			name: "bundle IDs all visible", bundleIDs: []string{"com.example.other", " com.example.app", "com.example.app", ""},
			want:         &Check{BundleIDs: []string{"com.example.other", "com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 1,
		},
		{
			name: "some bundle IDs missing", bundleIDs: []string{"com.example.app", "com.example.typo", "com.someone.else"},
			want:         &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantErr:      "*appstore.BundleIDsNotVisibleError",
			wantMsg:      []string{"the key " + testKeyID + " can see no app with bundle IDs com.example.typo, com.someone.else; check the spelling or"},
			wantRequests: 1,
		},
		{
			name: "invalid bundle ID is refused before any request", bundleIDs: []string{"com.a,com.b"},
			wantErr: "*appstore.BundleIDError", wantMsg: []string{"asc-bundle-ids"}, wantRequests: 0,
		},
		{
			name: "revoked key", key: func(k *ascstandin.Key) { k.Revoked = true },
			wantErr: "*appstore.APIError", wantStatus: 401,
			wantMsg: []string{"401 NOT_AUTHORIZED", testKeyID, testIssuerID, "revoked", "AuthKey_<ID>.p8",
				"Authentication credentials are missing or invalid."},
			wantRequests: 2,
		},
		{
			name: "wrong issuer", issuer: otherIssuerID,
			wantErr: "*appstore.APIError", wantStatus: 401, wantMsg: []string{"401 NOT_AUTHORIZED", otherIssuerID, "another team's"},
			wantRequests: 2,
		},
		{
			name: "individual key", key: func(k *ascstandin.Key) { k.Individual = true },
			wantErr: "*appstore.IndividualKeyError", wantStatus: 401,
			wantMsg:      []string{"Key " + testKeyID + " is an individual API key", "Team Keys", "Admin", "Nothing is uploaded"},
			wantRequests: 2,
		},
		{
			name:    "individual key whose role cannot read apps (403 still authenticates)",
			key:     func(k *ascstandin.Key) { k.Individual, k.Role = true, ascstandin.RoleSales },
			wantErr: "*appstore.IndividualKeyError", wantStatus: 401, wantMsg: []string{"individual API key"},
			wantRequests: 2,
		},
		{
			name: "revoked individual key", key: func(k *ascstandin.Key) { k.Individual, k.Revoked = true, true },
			wantErr: "*appstore.APIError", wantStatus: 401, wantMsg: []string{"revoked"},
			wantRequests: 2,
		},
		{
			name: "runner's clock 10 minutes behind", opts: []ascstandin.Option{ascstandin.WithClockOffset(10 * time.Minute)},
			wantErr:      "*appstore.ClockError",
			wantMsg:      []string{"The runner's clock is ", " behind App Store Connect's", "had expired", "key " + testKeyID + " was not judged", "NTP"},
			wantRequests: 1,
		},
		{
			name: "runner's clock 5 minutes ahead", opts: []ascstandin.Option{ascstandin.WithClockOffset(-5 * time.Minute)},
			wantErr:      "*appstore.ClockError",
			wantMsg:      []string{"The runner's clock is ", " ahead of App Store Connect's", "issued in the future", "was not judged"},
			wantRequests: 1,
		},
		{
			name: "runner's clock 2 minutes behind: Apple still accepts", opts: []ascstandin.Option{ascstandin.WithClockOffset(2 * time.Minute)},
			want:         &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 1,
		},
		{
			name:    "runner's clock 2 minutes behind and the key revoked: not the clock",
			opts:    []ascstandin.Option{ascstandin.WithClockOffset(2 * time.Minute)},
			key:     func(k *ascstandin.Key) { k.Revoked = true },
			wantErr: "*appstore.APIError", wantStatus: 401, wantMsg: []string{"revoked"},
			wantRequests: 2,
		},
		{
			name:    "401 then no answer to the second look: the first answer stands",
			faults:  []fault.Fault{{Kind: fault.Status, Status: 401, Times: 1, Body: appleError(401, "NOT_AUTHORIZED", "Authentication credentials are missing or invalid.", "")}, {Kind: fault.Status, Status: 503}},
			wantErr: "*appstore.APIError", wantStatus: 401, wantMsg: []string{"most likely the Key ID is not this key's"},
			wantRequests: 6,
		},
		{
			name: "role without access to apps", key: func(k *ascstandin.Key) { k.Role = ascstandin.RoleSales },
			wantErr: "*appstore.APIError", wantStatus: 403,
			wantMsg:      []string{"403 FORBIDDEN_ERROR", "App Manager or Admin", "Team Keys", "cannot be changed"},
			wantRequests: 1,
		},
		{
			name: "agreement not accepted", agreement: ascstandin.AgreementExpired,
			wantErr: "*appstore.AgreementError", wantStatus: 403,
			wantMsg: []string{"403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", testKeyID, testIssuerID,
				"Nothing is wrong with the key", "Account Holder", "https://appstoreconnect.apple.com/business",
				"https://developer.apple.com/account", "A required agreement is missing or has expired."},
			wantRequests: 1,
		},
		{
			name: "agreement not accepted, bundle IDs asked", agreement: ascstandin.AgreementExpired,
			bundleIDs: []string{"com.example.app"},
			wantErr:   "*appstore.AgreementError", wantStatus: 403,
			wantMsg:      []string{"403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", "Account Holder"},
			wantRequests: 1,
		},
		{
			name: "agreement not accepted, for a key whose role cannot read apps", agreement: ascstandin.AgreementExpired,
			key:     func(k *ascstandin.Key) { k.Role = ascstandin.RoleSales },
			wantErr: "*appstore.AgreementError", wantStatus: 403,
			wantMsg:      []string{"403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED"},
			wantRequests: 1,
		},
		{
			name: "agreement not accepted, but the key is revoked", agreement: ascstandin.AgreementExpired,
			key:     func(k *ascstandin.Key) { k.Revoked = true },
			wantErr: "*appstore.APIError", wantStatus: 401, wantMsg: []string{"401 NOT_AUTHORIZED", "revoked"},
			wantRequests: 2,
		},
		{
			name: "agreement hides every app asked for", agreement: ascstandin.AgreementHidesApps,
			bundleIDs:    []string{"com.example.app", "com.example.other"},
			want:         &Check{RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantErr:      "*appstore.BundleIDsNotVisibleError",
			wantMsg:      []string{"can see none of the apps asked for (bundle IDs com.example.app, com.example.other)", "spelling", "another team", "Account Holder", "hide every app"},
			wantRequests: 1,
		},
		{
			name: "agreement hides apps, none asked for: the key still proves itself", agreement: ascstandin.AgreementHidesApps,
			want:         &Check{RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 1,
		},
		{
			name:         "429 then 200 honours Retry-After",
			faults:       []fault.Fault{{Kind: fault.Status, Status: 429, RetryAfter: "1", Times: 1, Body: appleError(429, "RATE_LIMIT_EXCEEDED", "The request rate limit has been reached.", "")}},
			want:         &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 2, minElapsed: time.Second,
		},
		{
			name:    "rate limit exhausted",
			opts:    []ascstandin.Option{ascstandin.WithRateLimit(0)},
			wantErr: "*appstore.APIError", wantStatus: 429,
			wantMsg:      []string{"429 RATE_LIMIT_EXCEEDED", "0 of 0 requests remaining", "after retries"},
			wantRequests: 5,
		},
		{
			name:         "503 twice then 200",
			faults:       []fault.Fault{{Kind: fault.Status, Status: 503, Times: 2}},
			want:         &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 3,
		},
		{
			name:    "500 forever",
			faults:  []fault.Fault{{Kind: fault.Status, Status: 500, Body: appleError(500, "UNEXPECTED_ERROR", "An unexpected error occurred.", "")}},
			wantErr: "*appstore.APIError", wantStatus: 500,
			wantMsg:      []string{"unavailable (500)", "UNEXPECTED_ERROR", "later"},
			wantRequests: 5,
		},
		{
			name:         "dropped connection is retried",
			faults:       []fault.Fault{{Kind: fault.Drop, Times: 1}},
			want:         &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3599;"},
			wantRequests: 2,
		},
		{
			name:    "other 4xx is not retried",
			faults:  []fault.Fault{{Kind: fault.Status, Status: 400, Body: appleError(400, "PARAMETER_ERROR.INVALID", "A parameter has an invalid value", "'x' is not a valid field name")}},
			wantErr: "*appstore.APIError", wantStatus: 400,
			wantMsg:      []string{"400 PARAMETER_ERROR.INVALID", "A parameter has an invalid value", "'x' is not a valid field name"},
			wantRequests: 1,
		},
		{
			name:    "redirect is refused",
			faults:  []fault.Fault{{Kind: fault.Redirect}},
			wantErr: "*appstore.APIError", wantStatus: 307, wantMsg: []string{"redirect (307)", "asc-api-url"},
			wantRequests: 1,
		},
		{
			name:    "malformed JSON on 200",
			faults:  []fault.Fault{{Kind: fault.Malformed}},
			wantErr: "*appstore.ResponseError", wantMsg: []string{"not the expected JSON"},
			wantRequests: 1,
		},
		{
			name:    "truncated JSON on 200",
			faults:  []fault.Fault{{Kind: fault.Truncated}},
			wantErr: "*appstore.ResponseError", wantMsg: []string{"not the expected JSON"},
			wantRequests: 1,
		},
		{
			name:    "huge body",
			faults:  []fault.Fault{{Kind: fault.Huge, Size: 2 << 20}},
			wantErr: "*appstore.ResponseError", wantMsg: []string{"larger than"},
			wantRequests: 1,
		},
		{
			name:    "deadline while the server hangs",
			faults:  []fault.Fault{{Kind: fault.Hang}},
			timeout: 300 * time.Millisecond,
			wantErr: "*appstore.NetworkError", wantMsg: []string{"could not reach App Store Connect at 127.0.0.1:", "timeout"},
			wantRequests: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, tc.key, tc.opts...)
			e.asc.SetAgreement(testIssuerID, tc.agreement)
			if tc.issuer != "" {
				e.client.Signer.IssuerID = tc.issuer
			}
			e.asc.Faults().Add(tc.faults...)
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 20 * time.Second
			}
			ctx, cancel := context.WithTimeout(t.Context(), timeout)
			defer cancel()

			start := time.Now()
			got, err := e.client.Check(ctx, tc.bundleIDs)
			elapsed := time.Since(start)

			if gotType := fmt.Sprintf("%T", err); err != nil && gotType != tc.wantErr || err == nil && tc.wantErr != "" {
				t.Fatalf("Check() error = %v (%T), want %s", err, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Check{})); diff != "" {
				t.Errorf("Check() mismatch (-want +got):\n%s", diff)
			}
			if err != nil {
				title, msg := explain(err)
				for _, w := range tc.wantMsg {
					if !strings.Contains(msg, w) {
						t.Errorf("error lacks %q:\n%s", w, msg)
					}
				}
				var apiErr *APIError
				if errors.As(err, &apiErr) && apiErr.Status != tc.wantStatus {
					t.Errorf("status = %d, want %d", apiErr.Status, tc.wantStatus)
				}
				assertNoToken(t, e, msg)
				assertNoToken(t, e, err.Error())
				if title == "" || title == "Error" {
					t.Errorf("error %T has no title", err)
				} else {
					assertNoToken(t, e, title)
				}
			}
			if n := e.asc.Faults().Requests(); n != tc.wantRequests {
				t.Errorf("requests = %d, want %d", n, tc.wantRequests)
			}
			if elapsed < tc.minElapsed {
				t.Errorf("took %s, want at least %s (Retry-After)", elapsed, tc.minElapsed)
			}
			e.assertRequests(t)
		})
	}
}

// assertNoToken fails if s carries the JWT or its signature.
func assertNoToken(t *testing.T, e *env, s string) {
	t.Helper()
	token, err := e.client.Signer.Token()
	if err != nil {
		t.Fatal(err)
	}
	sig := token[strings.LastIndex(token, ".")+1:]
	if strings.Contains(s, token) || strings.Contains(s, sig) {
		t.Errorf("message contains the token: %s", s)
	}
}

// assertRequests checks what every request carried: one token for the run,
// the action's User-Agent, and the documented query.
func (e *env) assertRequests(t *testing.T) {
	t.Helper()
	e.seen.mu.Lock()
	defer e.seen.mu.Unlock()
	for i, q := range e.seen.queries {
		if e.seen.agents[i] != version.UserAgent() {
			t.Errorf("request %d: User-Agent %q", i, e.seen.agents[i])
		}
		if i > 0 && e.seen.auth[i] != e.seen.auth[0] {
			// After a 401, the one second look (retried like any request):
			// the individual key's token, last, asking for one app only.
			if e.seen.auth[len(e.seen.auth)-1] != e.seen.auth[i] || fmt.Sprint(q) != "map[limit:[1]]" || !strings.Contains(tokenClaims(t, e.seen.auth[i]), `"sub":"user"`) {
				t.Errorf("request %d: another token (%s) with query %v", i, tokenClaims(t, e.seen.auth[i]), q)
			}
			continue
		}
		if !strings.HasPrefix(e.seen.auth[i], "Bearer ey") {
			t.Errorf("request %d: not the run's one bearer token", i)
		}
		if q.Get("fields[apps]") != "bundleId" {
			t.Errorf("request %d: fields[apps] = %q", i, q.Get("fields[apps]"))
		}
		switch {
		case q.Has("filter[bundleId]") && q.Get("limit") != "200",
			!q.Has("filter[bundleId]") && q.Get("limit") != "1":
			t.Errorf("request %d: query %v", i, q)
		}
	}
}

// tokenClaims is the decoded claims segment of a bearer token.
func tokenClaims(t *testing.T, authorization string) string {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(authorization, "Bearer "), ".")
	if len(parts) != 3 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("claims are not base64url: %v", err)
	}
	return string(b)
}

func TestCheckChunksBy200(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	var ids []string
	for i := range 250 {
		id := fmt.Sprintf("com.example.bulk%03d", i)
		ids = append(ids, id)
		e.asc.AddApp(ascstandin.App{ID: fmt.Sprint(5000 + i), BundleID: id, Name: id, IssuerID: testIssuerID})
	}
	got, err := e.client.Check(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ids, got.BundleIDs); diff != "" {
		t.Errorf("BundleIDs (-want +got):\n%s", diff)
	}
	if n := e.asc.Faults().Requests(); n != 2 {
		t.Errorf("requests = %d, want 2 (250 bundle IDs in chunks of 200)", n)
	}
	e.seen.mu.Lock()
	defer e.seen.mu.Unlock()
	if n := len(strings.Split(e.seen.queries[0].Get("filter[bundleId]"), ",")); n != 200 {
		t.Errorf("first request asks for %d bundle IDs, want 200", n)
	}
}

func TestCheckNetworkError(t *testing.T) {
	t.Parallel()
	base, err := httpx.ParseBaseURL("asc-api-url", testkit.RefusedURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{
		BaseURL: base,
		HTTP:    httpx.New(httpx.Config{WaitMin: time.Millisecond, WaitMax: 5 * time.Millisecond}),
		Signer:  &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: newKey(t, elliptic.P256())},
	}
	_, err = c.Check(t.Context(), nil)
	var netErr *NetworkError
	if !errors.As(err, &netErr) {
		t.Fatalf("Check() error = %v (%T), want *NetworkError", err, err)
	}
	if _, msg := explain(err); !strings.Contains(msg, "refused") || !strings.Contains(msg, base.Host) {
		t.Errorf("message does not explain a refused connection to %s: %s", base.Host, msg)
	}
}

// Apple's filter[bundleId] may answer with apps whose bundle ID only starts
// with one asked for, and page them: the stand-in filters exactly, so this
// plays such a server by hand.
func TestCheckPrefixMatchesAndPages(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var requests int
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Rate-Limit", "user-hour-lim:3600;user-hour-rem:3590;")
		switch r.URL.Query().Get("cursor") {
		case "":
			fmt.Fprintf(w, `{"data":[{"type":"apps","id":"1","attributes":{"bundleId":"com.example.app.widget"}}],
				"links":{"self":"x","next":"%s/v1/apps?cursor=2&limit=200"}}`, ts.URL)
		case "2":
			fmt.Fprint(w, `{"data":[{"type":"apps","id":"2","attributes":{"bundleId":"com.example.app"}}],"links":{"self":"y"}}`)
		default:
			http.Error(w, "unexpected", http.StatusBadRequest)
		}
	}))
	t.Cleanup(ts.Close)
	base, err := httpx.ParseBaseURL("asc-api-url", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: base, HTTP: httpx.New(httpx.Config{}), Signer: &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: newKey(t, elliptic.P256())}}

	got, err := c.Check(t.Context(), []string{"com.example.app"})
	if err != nil {
		t.Fatal(err)
	}
	want := &Check{BundleIDs: []string{"com.example.app"}, RateLimit: "user-hour-lim:3600;user-hour-rem:3590;"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Check() (-want +got):\n%s", diff)
	}
	if requests != 2 {
		t.Errorf("requests = %d, want 2 (the exact match was on page 2)", requests)
	}
}

func TestCheckRefusesForeignNextLink(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"data":[],"links":{"next":"https://elsewhere.example/v1/apps?cursor=2"}}`)
	}))
	t.Cleanup(ts.Close)
	base, err := httpx.ParseBaseURL("asc-api-url", ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: base, HTTP: httpx.New(httpx.Config{}), Signer: &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: newKey(t, elliptic.P256())}}
	_, err = c.Check(t.Context(), []string{"com.example.app"})
	var respErr *ResponseError
	if !errors.As(err, &respErr) || !strings.Contains(err.Error(), "another location") {
		t.Fatalf("Check() error = %v, want *ResponseError about another location", err)
	}
}

// TestCheckRegistersTokensBeforeSending pins that Check hands every token
// it signs (the team token, and the individual-key token of a 401's second
// look) to Secret before the request that carries it leaves.
func TestCheckRegistersTokensBeforeSending(t *testing.T) {
	t.Parallel()
	for _, individual := range []bool{false, true} {
		t.Run(fmt.Sprintf("individual=%v", individual), func(t *testing.T) {
			t.Parallel()
			e := setup(t, func(k *ascstandin.Key) { k.Individual = individual })
			var (
				mu       sync.Mutex
				secrets  = map[string]bool{}
				unmasked []string
			)
			e.client.Secret = func(token string) {
				mu.Lock()
				defer mu.Unlock()
				secrets[token] = true
			}
			next := e.client.HTTP.HTTPClient.Transport
			e.client.HTTP.HTTPClient.Transport = roundTripFunc(func(r *http.Request) (*http.Response, error) {
				token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				mu.Lock()
				if !secrets[token] {
					unmasked = append(unmasked, r.URL.Path)
				}
				mu.Unlock()
				return next.RoundTrip(r)
			})
			_, err := e.client.Check(t.Context(), []string{"com.example.app"})
			var ind *IndividualKeyError
			if individual != errors.As(err, &ind) || (!individual && err != nil) {
				t.Fatalf("Check = %v", err)
			}
			if want := map[bool]int{false: 1, true: 2}[individual]; len(secrets) != want || len(unmasked) > 0 {
				t.Errorf("Secret saw %d tokens (want %d); requests sent with a token not yet registered: %v", len(secrets), want, unmasked)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
