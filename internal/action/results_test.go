package action_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

// statusesOf is every harness app of platform with status, keyed as
// result.statuses keys them.
func statusesOf(platform, status string) map[string]string {
	out := map[string]string{}
	for _, app := range apps {
		out[platform+"/"+app] = status
	}
	return out
}

// with is a copy of in (whose "" values remove inputs) with one more input.
func with(in map[string]string, name, value string) map[string]string {
	out := maps.Clone(in)
	out[name] = value
	return out
}

// How a key failed, as its apps' errors say it.
const (
	failedAtStore  = ""
	failedAtIntake = " (refused before any request)"
	failedTimeout  = " (the run's timeout of 500ms ran out)"
	failedCancel   = " (the run was cancelled)"
)

// keyFailedRows are the rows of every harness app of a key that failed its
// check: failed, nothing replaced, one sentence naming the app.
func keyFailedRows(platform, storeName, how string) []action.Result {
	var out []action.Result
	for _, app := range apps {
		out = append(out, action.Result{Platform: platform, App: app, Status: "failed",
			Error: fmt.Sprintf("the %s key failed its check%s, so nothing was written to app %s; the key's error annotation says why", storeName, how, app)})
	}
	return out
}

// uploadedRows are the rows of a key uploaded to every harness app, of which
// news held the old key: each now holds the new key.
func uploadedRows(platform, old string) []action.Result {
	held := keyID
	if platform == "android" {
		held = playKeyID
	}
	var out []action.Result
	for _, app := range apps {
		res := action.Result{Platform: platform, App: app, Status: "uploaded", HeldKeyID: held}
		if app == "news" {
			res.PreviousKeyID = old
		}
		out = append(out, res)
	}
	return out
}

// TestResultsListEveryApp walks every way a run can end and checks that
// results (and the summary's app tables) list one row per requested app and
// platform whenever the inputs passed validation: a key that failed at
// intake or at its store leaves each of its apps failed, without an
// annotation per app, and the other store's rows are as they would be alone.
func TestResultsListEveryApp(t *testing.T) {
	t.Parallel()
	const asc, gp = "App Store Connect", "Google Play"
	appleOnly := map[string]string{"play-service-account": "", "play-package-names": "", "play-api-url": ""}

	cases := []struct {
		name    string
		prepare func(p *world)
		in      func(p *world) map[string]string
		// cancel: the runner cancels the step (SIGTERM) as it starts.
		cancel     bool
		want       func(p *world) []action.Result
		wantTitles []string // every ::error title: the keys' own, none per app
	}{
		{
			name: "the .p8 is refused at intake, Play is synced",
			in: func(p *world) map[string]string {
				return map[string]string{"asc-key": p.keyPEM[:len(p.keyPEM)/2]}
			},
			want: func(p *world) []action.Result {
				return append(keyFailedRows("ios", asc, failedAtIntake), uploadedRows("android", playOldKeyID)...)
			},
			wantTitles: []string{"App Store Connect key is truncated or corrupt"},
		},
		{
			name: "a Key ID of the wrong shape is refused at intake",
			in:   func(p *world) map[string]string { return map[string]string{"asc-key-id": "abc"} },
			want: func(p *world) []action.Result {
				return append(keyFailedRows("ios", asc, failedAtIntake), uploadedRows("android", playOldKeyID)...)
			},
			wantTitles: []string{"App Store Connect Key ID is invalid"},
		},
		{
			name:    "App Store Connect answers 401, Play is synced",
			prepare: func(p *world) { p.asc.RevokeKey(keyID) },
			want: func(p *world) []action.Result {
				return append(keyFailedRows("ios", asc, failedAtStore), uploadedRows("android", playOldKeyID)...)
			},
			wantTitles: []string{"App Store Connect rejected the key (401 NOT_AUTHORIZED)"},
		},
		{
			name:    "Play answers 403 for one package, Apple is synced",
			prepare: func(p *world) { p.google.RevokeAccess(pkgNews, playEmail) },
			want: func(p *world) []action.Result {
				return append(uploadedRows("ios", oldKeyID), keyFailedRows("android", gp, failedAtStore)...)
			},
			wantTitles: []string{"No Play Console access to " + pkgNews},
		},
		{
			name: "the Play key is refused at intake, Apple is synced",
			in: func(p *world) map[string]string {
				return map[string]string{"play-service-account": p.keyJSON[:len(p.keyJSON)/2]}
			},
			want: func(p *world) []action.Result {
				return append(uploadedRows("ios", oldKeyID), keyFailedRows("android", gp, failedAtIntake)...)
			},
			wantTitles: []string{"Play service-account key is not JSON"},
		},
		{
			name: "both keys fail",
			prepare: func(p *world) {
				p.asc.RevokeKey(keyID)
				p.google.DeleteKey(playEmail, playKeyID)
			},
			want: func(p *world) []action.Result {
				return append(keyFailedRows("ios", asc, failedAtStore), keyFailedRows("android", gp, failedAtStore)...)
			},
			wantTitles: []string{"App Store Connect rejected the key (401 NOT_AUTHORIZED)", "Play key deleted or rotated"},
		},
		{
			name:    "App Store Connect does not answer before the timeout",
			prepare: func(p *world) { p.asc.Faults().Add(fault.Fault{Kind: fault.Hang}) },
			in: func(p *world) map[string]string {
				return with(appleOnly, "timeout", "500ms")
			},
			want:       func(p *world) []action.Result { return keyFailedRows("ios", asc, failedTimeout) },
			wantTitles: []string{"Could not reach App Store Connect", "Timed out"},
		},
		{
			name:   "the run is cancelled as the check starts",
			in:     func(p *world) map[string]string { return appleOnly },
			cancel: true,
			want:   func(p *world) []action.Result { return keyFailedRows("ios", asc, failedCancel) },
			// The key's own error; "Timed out" is for the deadline only.
			wantTitles: []string{"Could not reach App Store Connect", "Cancelled"},
		},
		{
			name:       "inputs refused (unknown mode): the run stops before the keys",
			in:         func(p *world) map[string]string { return map[string]string{"mode": "upload"} },
			want:       func(p *world) []action.Result { return nil },
			wantTitles: []string{"Invalid input mode"},
		},
		{
			name: "inputs refused (key file missing): the good Play key is not synced either",
			in: func(p *world) map[string]string {
				return map[string]string{"asc-key": "", "asc-key-file": "secrets/AuthKey_TESTKEY001.p8"}
			},
			want:       func(p *world) []action.Result { return nil },
			wantTitles: []string{"Invalid input asc-key-file"},
		},
		{
			name: "check mode without mos inputs: no app was requested",
			in: func(p *world) map[string]string {
				return with(checkOnly, "asc-key", p.keyPEM[:len(p.keyPEM)/2])
			},
			want:       func(p *world) []action.Result { return nil },
			wantTitles: []string{"App Store Connect key is truncated or corrupt"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.preload(t, "news", 30)
			p.preloadPlay(t, "news", 30)
			if tc.prepare != nil {
				tc.prepare(p)
			}
			in := p.bothInputs(nil)
			if tc.in != nil {
				in = override(in, tc.in(p))
			}
			ctx := t.Context()
			if tc.cancel {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				cancel()
			}

			r := p.run(t, in, withCtx(ctx))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed\n%s", r.err, r.stdout)
			}
			want := tc.want(p)
			got := r.results(t)
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if len(want) == 0 && r.outputs["results"] != "[]" {
				t.Errorf("results = %q, want []", r.outputs["results"])
			}

			// Only the keys' own errors: a failed key's apps add none.
			if diff := cmp.Diff(slices.Sorted(slices.Values(tc.wantTitles)), slices.Sorted(slices.Values(titles(r, "error")))); diff != "" {
				t.Errorf("error titles (-want +got):\n%s", diff)
			}
			uploaded := slices.ContainsFunc(want, func(res action.Result) bool { return res.Status == "uploaded" })
			if got := r.outputs["uploaded"]; got != fmt.Sprint(uploaded) {
				t.Errorf("uploaded = %q, want %t", got, uploaded)
			}

			// The summary's app tables show the same rows, each under its
			// store's heading.
			apple, play, _ := strings.Cut(r.summary, "### Google Play key")
			for _, res := range want {
				section := apple
				if res.Platform == "android" {
					section = play
				}
				row := fmt.Sprintf("| %s | ⬆️ uploaded | %s | %s |  |", res.App, res.HeldKeyID, res.PreviousKeyID)
				if res.Status == "failed" {
					row = fmt.Sprintf("| %s | ❌ failed |  |  | %s |", res.App, res.Error)
				}
				if !strings.Contains(section, row+"\n") {
					t.Errorf("the %s summary lacks the row %q:\n%s", res.Platform, row, r.summary)
				}
			}
			if len(want) == 0 && strings.Contains(r.summary, "| App | Status |") {
				t.Errorf("the summary has an app table, but results is []:\n%s", r.summary)
			}

			// A key that failed touched none of its apps.
			failed := map[string]bool{}
			for _, res := range want {
				failed[res.Platform] = failed[res.Platform] || res.Status == "failed"
			}
			if n := p.iosRequests(); (failed["ios"] || len(want) == 0) && n != 0 {
				t.Errorf("mos.portal saw %d iOS requests for the failed Apple key", n)
			}
			if n := p.androidRequests(""); (failed["android"] || len(want) == 0) && n != 0 {
				t.Errorf("mos.portal saw %d Android requests for the failed Play key", n)
			}
		})
	}
}

// TestSummaryGoldenKeyFailed pins the step summary of a key that failed its
// check: the reason in the key's table, each app failed below it.
func TestSummaryGoldenKeyFailed(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, golden string
		prepare      func(w *world)
		in           func(w *world) map[string]string
	}{
		{
			name:    "rejected by App Store Connect",
			golden:  "summary-key-rejected.golden.md",
			prepare: func(w *world) { w.asc.RevokeKey(keyID) },
		},
		{
			name:   "refused at intake",
			golden: "summary-key-refused.golden.md",
			in:     func(w *world) map[string]string { return map[string]string{"asc-key": w.keyPEM[:len(w.keyPEM)/2]} },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			w.preload(t, "news", 120)
			if tc.prepare != nil {
				tc.prepare(w)
			}
			var extra map[string]string
			if tc.in != nil {
				extra = tc.in(w)
			}
			r := w.run(t, w.inputs(extra))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("run error = %v, want ErrFailed", r.err)
			}
			golden(t, tc.golden, r.summary)
		})
	}
}
