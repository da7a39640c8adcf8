package portal_test

import (
	"context"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/portal"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/testkit"
)

// TestOutcomeUnknown pins which failed uploads leave open whether the key
// was stored (the caller then reads it back) and which say it was not. The
// stand-in shows the classification is safe: after every answer that is
// said to mean "nothing written", it holds nothing.
func TestOutcomeUnknown(t *testing.T) {
	t.Parallel()

	status := func(code int, body string) []fault.Fault {
		return []fault.Fault{{Kind: fault.Status, Status: code, Body: body}}
	}
	cases := []struct {
		name    string
		faults  []fault.Fault
		get     bool   // a read instead of an upload
		keyID   string // the upload's key ID ("" for the valid one)
		app     string // "" for the app that exists
		client  func(t *testing.T, e *env) (*portal.Client, context.Context)
		unknown bool
		stored  bool // the stand-in holds the key afterwards
	}{
		{name: "422 invalid_key from the portal's validation", keyID: "abc"},
		{name: "400 in the contract's words", faults: status(400, `{"error":{"code":"invalid_key","message":"request body is not valid JSON"}}`)},
		{name: "401 unknown token", client: func(t *testing.T, e *env) (*portal.Client, context.Context) {
			return withToken(e, "mos-Wrong-Token-0123456789-XYZabc"), t.Context()
		}},
		{name: "404 app not found", app: "ghost-app"},
		{name: "429 in the contract's words, Retry-After past the deadline",
			faults: []fault.Fault{{Kind: fault.Status, Status: 429, RetryAfter: "3600", Body: `{"error":{"code":"rate_limited","message":"slow down"}}`}},
			client: within(time.Minute)},
		{name: "307 redirect, never followed", faults: []fault.Fault{{Kind: fault.Redirect}}},
		{name: "404 HTML page", faults: status(404, "<html>Not Found</html>"), unknown: true},
		{name: "401 without a body", faults: status(401, " "), unknown: true},
		{name: "503 after the retries, in the contract's words", faults: status(503, `{"error":{"code":"maintenance","message":"back at 14:00"}}`), unknown: true},
		{name: "500 HTML after the retries", faults: status(500, "<pre>trace</pre>"), unknown: true},
		{name: "500 after the write, after the retries", faults: []fault.Fault{{Kind: fault.Status, Status: 500, Through: true}}, unknown: true, stored: true},
		{name: "200 that is not JSON", faults: []fault.Fault{{Kind: fault.Malformed}}, unknown: true},
		{name: "200 cut in half, after the write", faults: []fault.Fault{{Kind: fault.Truncated}}, unknown: true, stored: true},
		{name: "200 larger than 1 MiB", faults: []fault.Fault{{Kind: fault.Huge, Size: 2 << 20}}, unknown: true},
		{name: "202", faults: status(202, `{}`), unknown: true},
		{name: "connection cut after the write, every attempt", faults: []fault.Fault{{Kind: fault.Reset}}, unknown: true, stored: true},
		{name: "no answer before the deadline, after the write", faults: []fault.Fault{{Kind: fault.Hang, Through: true}}, unknown: true, stored: true,
			client: within(300 * time.Millisecond)},
		{name: "nothing listens", unknown: true, client: func(t *testing.T, _ *env) (*portal.Client, context.Context) {
			return newClient(t, testkit.RefusedURL(t), token), t.Context()
		}},
		{name: "cancelled", unknown: true, client: func(t *testing.T, e *env) (*portal.Client, context.Context) {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			return e.client, ctx
		}},
		{name: "an app ID that is not one path segment", app: ".."},
		{name: "a read answered 503", get: true, faults: status(503, "")},
		{name: "a read answered 200 that is not JSON", get: true, faults: []fault.Fault{{Kind: fault.Malformed}}},
		{name: "a read without an answer", get: true, faults: []fault.Fault{{Kind: fault.Hang}}, client: within(100 * time.Millisecond)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t, "")
			e.portal.Faults().Add(tc.faults...)
			c, ctx := e.client, t.Context()
			if tc.client != nil {
				c, ctx = tc.client(t, e)
			}
			ap := app
			if tc.app != "" {
				ap = tc.app
			}
			up := iosUpload(t)
			if tc.keyID != "" {
				up.KeyID = tc.keyID
			}
			var err error
			if tc.get {
				_, err = c.GetKey(ctx, project, ap, portal.PlatformIOS)
			} else {
				_, _, err = c.PutKey(ctx, project, ap, up)
			}
			if err == nil {
				t.Fatal("no error")
			}
			if got := portal.OutcomeUnknown(err); got != tc.unknown {
				t.Errorf("OutcomeUnknown(%q) = %v, want %v", err, got, tc.unknown)
			}
			if _, held := e.portal.IOSKey(project, app); held != tc.stored {
				t.Errorf("the stand-in holds a key: %v, want %v", held, tc.stored)
			}
		})
	}
	if portal.OutcomeUnknown(nil) {
		t.Error("OutcomeUnknown(nil) = true")
	}
}

// within is the default client on a context with a deadline d from now.
func within(d time.Duration) func(t *testing.T, e *env) (*portal.Client, context.Context) {
	return func(t *testing.T, e *env) (*portal.Client, context.Context) {
		ctx, cancel := context.WithTimeout(t.Context(), d)
		t.Cleanup(cancel)
		return e.client, ctx
	}
}
