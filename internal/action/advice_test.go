package action_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/portal"
)

// The URL inputs' messages, word for word as httpx wrote them before the
// advice moved here.
func TestExplainURLError(t *testing.T) {
	t.Parallel()
	const tail = "; give an https:// URL such as https://portal.example.com (plain http is accepted only for 127.0.0.1, ::1 and localhost)"
	cases := []struct{ in, want string }{
		{"", "input mos-url is empty" + tail},
		{"portal.example.com", "input mos-url is not an absolute URL" + tail},
		{"https://u:p@portal.example.com", "input mos-url contains credentials; pass tokens in their own inputs" + tail},
		{"https://portal.example.com/?a=b", "input mos-url has a query or fragment" + tail},
		{"http://portal.example.com", "input mos-url uses plain http to portal.example.com, which would send secrets unencrypted" + tail},
		{"ftp://portal.example.com", `input mos-url has scheme "ftp"` + tail},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := httpx.ParseBaseURL("mos-url", tc.in)
			if err == nil {
				t.Fatal("accepted")
			}
			title, msg := action.Explain(err)
			if title != "Invalid mos-url" || msg != tc.want {
				t.Errorf("got %q: %q\nwant %q", title, msg, tc.want)
			}
		})
	}
}

// An upload whose answer was unusable, read back: keysync wraps the
// portal's error as a sentence, and the advice inside it reads as before
// the advice moved here, with one full stop.
func TestExplainUnconfirmed(t *testing.T) {
	t.Parallel()
	want := keysync.Want{Identity: keysync.Identity{KeyID: "TESTKEY001", Fingerprint: "SHA256:x", Owner: "o"}}
	put := &portal.APIError{Detail: "the answer is larger than 1 MiB", Project: "acme", App: "news",
		Platform: portal.PlatformIOS, Method: "PUT"}
	timeout := &portal.RequestError{Method: "GET", Project: "acme", App: "news", Err: context.DeadlineExceeded}
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"nothing held", &keysync.UnconfirmedError{App: "news", Put: put, Want: want},
			`mos.portal's answer while uploading the App Store Connect API key to app "news" in project "acme" was unusable, ` +
				"as the answer is larger than 1 MiB: the portal does not follow contract v1 (docs/mos-portal-contract.md); " +
				"check mos-url, or report this to the mos.portal team. " +
				"Read back afterwards, app news holds no key: the upload did not take effect; run this action again."},
		{"read-back failed", &keysync.UnconfirmedError{App: "news", Put: put, Get: timeout, Want: want},
			`mos.portal's answer while uploading the App Store Connect API key to app "news" in project "acme" was unusable, ` +
				"as the answer is larger than 1 MiB: the portal does not follow contract v1 (docs/mos-portal-contract.md); " +
				"check mos-url, or report this to the mos.portal team. " +
				"Reading the key of app news back, to learn whether the upload took effect, failed as well: " +
				`the run's timeout ran out while reading the key of app "news" in project "acme": raise the timeout input, or check why mos.portal is slow. ` +
				"App news may hold either its previous key or key TESTKEY001: check it in mos.portal (Publisher → Apps → news) or run this action again."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			title, msg := action.Explain(tc.err)
			if title != "Unexpected answer from mos.portal" || msg != tc.want {
				t.Errorf("got %q: %q\nwant %q", title, msg, tc.want)
			}
		})
	}
}

// keysync's errors, word for word as keysync wrote them before the advice
// moved here.
func TestExplainKeysync(t *testing.T) {
	t.Parallel()
	want := keysync.Want{Identity: keysync.Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new", Owner: "o"},
		Names: keysync.Names{KeyID: "Key ID", Owner: "Issuer ID", Team: "team", Proof: "see the app"}}
	old := keysync.Stored{Identity: keysync.Identity{KeyID: "OLDKEY1234", Fingerprint: "SHA256:old", Owner: "o"}}
	cases := []struct {
		name       string
		err        error
		title, msg string
	}{
		{"mismatch", &keysync.MismatchError{App: "a", Want: want, Got: old}, "mos.portal stored a different key",
			"mos.portal answered the upload of key NEWKEY1234 to app a with a record that is not the key sent " +
				"(Key ID OLDKEY1234 in mos.portal, NEWKEY1234 in the inputs; fingerprint SHA256:old in mos.portal, SHA256:new in the inputs); " +
				"check the key in mos.portal (Publisher → Apps → a) and report this to mos. support"},
		{"timed out", &keysync.NotStartedError{App: "a", Err: context.DeadlineExceeded}, "Timed out before the sync",
			"nothing was read or written for app a: the run's timeout ran out before its turn came; raise the timeout input or run again"},
		{"cancelled", &keysync.NotStartedError{App: "a", Err: context.Canceled}, "Cancelled before the sync",
			"nothing was read or written for app a: the run was cancelled before its turn came"},
		{"read back: the old key", &keysync.UnconfirmedError{App: "a", Put: errors.New("lost"), Held: &old, Want: want}, "Error",
			"lost. Read back afterwards, app a holds key OLDKEY1234, not the key sent " +
				"(Key ID OLDKEY1234 in mos.portal, NEWKEY1234 in the inputs; fingerprint SHA256:old in mos.portal, SHA256:new in the inputs): " +
				"the upload did not take effect; run this action again."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			title, msg := action.Explain(tc.err)
			if title != tc.title || msg != tc.msg {
				t.Errorf("got %q: %q\nwant %q: %q", title, msg, tc.title, tc.msg)
			}
		})
	}
}
