package action_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// agency is the 24 apps of an agency's matrix.
func agency() []string {
	var names []string
	for i := range 24 {
		names = append(names, fmt.Sprintf("app-%02d", i))
	}
	return names
}

// twoSentences finds where a second sentence would start.
var twoSentences = regexp.MustCompile(`\. \p{Lu}`)

// TestRunWideFailureOnce checks that a cause that concerns the whole run (a
// wrong mos-token, a misspelled project, a mos-url that is another service)
// gives one error annotation naming the apps, across both stores, while
// results keeps one row per app with one sentence.
func TestRunWideFailureOnce(t *testing.T) {
	t.Parallel()
	names := agency()

	// otherService answers every request as a web server that is not
	// mos.portal does: a 404 page.
	otherService := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<html><body>Not Found</body></html>")
	}))
	t.Cleanup(otherService.Close)
	otherHost := strings.TrimPrefix(otherService.URL, "http://")

	cases := []struct {
		name   string
		in     func(p *world) map[string]string
		title  string
		says   []string // in the one annotation
		row    string   // every row's error
		stores int      // stores given: 1 (Apple) or 2 (Apple and Play)
	}{
		{
			name: "a wrong mos-token, 24 apps",
			in: func(p *world) map[string]string {
				return p.inputs(map[string]string{"mos-token": "mos_wrong_token_0a1b2c3d"})
			},
			title: "mos.portal rejected the token",
			says:  []string{"Check the mos-token secret", "Apps affected (24): app-00, app-01"},
			row:   "mos.portal rejected the token (401 unauthorized: missing or invalid bearer token).", stores: 1,
		},
		{
			name: "a wrong mos-token, 24 apps of both stores",
			in: func(p *world) map[string]string {
				return p.bothInputs(map[string]string{"mos-token": "mos_wrong_token_0a1b2c3d"})
			},
			title: "mos.portal rejected the token",
			says:  []string{"Apps affected (48): app-00, app-01", "app-23 (ios); app-00, app-01", "app-23 (android)."},
			row:   "mos.portal rejected the token (401 unauthorized: missing or invalid bearer token).", stores: 2,
		},
		{
			name:  "a misspelled mos-project",
			in:    func(p *world) map[string]string { return p.inputs(map[string]string{"mos-project": "acmee"}) },
			title: "mos.portal token lacks access",
			says:  []string{`the mos-token has no access to project "acmee" in mos.portal, or the project name is misspelled`, "Check mos-project", "Apps affected (24)"},
			row:   `the mos-token has no access to project "acmee" in mos.portal, or the project name is misspelled (403 forbidden: token has no access to this project).`, stores: 1,
		},
		{
			name:  "a mos-url that points at another service",
			in:    func(p *world) map[string]string { return p.inputs(map[string]string{"mos-url": otherService.URL}) },
			title: "mos-url is not mos.portal's API",
			says:  []string{"mos-url (host " + otherHost + ") probably does not point at mos.portal's API", "Set mos-url to the portal's base URL", "Apps affected (24)"},
			row: "mos-url (host " + otherHost + `) probably does not point at mos.portal's API: it answered 404 Not Found without contract v1's error body ` +
				`(the body starts with "<html><body>Not Found</body></html>").`, stores: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			for _, app := range names {
				p.portal.AddApp(project, app)
			}
			in := tc.in(p)
			in["mos-apps"] = strings.Join(names, "\n")

			r := p.run(t, in)
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed\n%s", r.err, r.stdout)
			}
			var errs []annotation
			for _, a := range annotationsOf(r.stdout) {
				if a.level == "error" {
					errs = append(errs, a)
				}
			}
			if len(errs) != 1 || errs[0].title != tc.title {
				t.Fatalf("error annotations %+v, want exactly one titled %q", errs, tc.title)
			}
			for _, s := range tc.says {
				if !strings.Contains(errs[0].msg, s) {
					t.Errorf("the annotation does not say %q:\n%s", s, errs[0].msg)
				}
			}
			for _, app := range names {
				if !strings.Contains(errs[0].msg, app) {
					t.Errorf("the annotation does not name app %s", app)
				}
			}

			rows := r.results(t)
			if len(rows) != len(names)*tc.stores {
				t.Fatalf("%d rows in results, want %d", len(rows), len(names)*tc.stores)
			}
			for _, row := range rows {
				if row.Status != "failed" || row.Error != tc.row || row.HeldKeyID != "" || row.PreviousKeyID != "" {
					t.Errorf("row %+v, want failed with error %q and no key", row, tc.row)
				}
				if twoSentences.MatchString(row.Error) {
					t.Errorf("row %s/%s has more than one sentence: %q", row.Platform, row.App, row.Error)
				}
			}
			raw := regexp.MustCompile(`(?m)^::error .*$`).FindString(r.stdout)
			two, _ := json.Marshal(rows[:2])
			t.Logf("as a user sees it:\n%s\nresults (the first 2 of %d rows): %s", raw, len(rows), two)
		})
	}
}

// TestMoreCausesThanGitHubShows checks that a run with more causes than the
// 10 error annotations GitHub shows per step shows 10, the tenth saying how
// many more there are, and that the summary lists them all.
func TestMoreCausesThanGitHubShows(t *testing.T) {
	t.Parallel()
	names := agency()
	cases := []struct {
		name      string
		causes    int // apps failing, each for its own reason
		wantShown int
		wantLast  string // title of the last error annotation
	}{
		{name: "10 causes are all shown", causes: 10, wantShown: 10, wantLast: "Unexpected answer from mos.portal"},
		{name: "13 causes: 9 shown and the tenth says 4 more", causes: 13, wantShown: 10, wantLast: "… and 4 more"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			for i, app := range names {
				w.portal.AddApp(project, app)
				if i < tc.causes {
					// Each app answered with its own reason: a cause of its own.
					w.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 418, PathPrefix: portalstandin.Path(project, app, portalstandin.IOS),
						Body: fmt.Sprintf(`{"error":{"code":"teapot","message":"quirk number %d"}}`, i)})
				}
			}
			r := w.run(t, w.inputs(map[string]string{"mos-apps": strings.Join(names, "\n")}))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed", r.err)
			}
			errs := titles(r, "error")
			if len(errs) != tc.wantShown || errs[len(errs)-1] != tc.wantLast {
				t.Fatalf("error titles %q, want %d ending with %q", errs, tc.wantShown, tc.wantLast)
			}
			if tc.causes <= 10 {
				if strings.Contains(r.summary, "### All ") {
					t.Errorf("the summary lists the errors although every one is annotated:\n%s", r.summary)
				}
				return
			}
			last, _ := find(r, "error", tc.wantLast)
			t.Logf("the tenth annotation as a user sees it:\n%s", regexp.MustCompile(`(?m)^::error title=… and .*$`).FindString(r.stdout))
			if !strings.Contains(last.msg, fmt.Sprintf("the step summary lists all %d errors of this run. Not shown here: Unexpected answer from mos.portal (4 causes).", tc.causes)) {
				t.Errorf("the tenth annotation does not point at the summary: %s", last.msg)
			}
			list, _, ok := strings.Cut(r.summary[strings.Index(r.summary, "### All "):], "\n\n")
			if !ok || !strings.HasPrefix(list, fmt.Sprintf("### All %d errors", tc.causes)) {
				t.Fatalf("the summary does not list all %d errors:\n%s", tc.causes, r.summary)
			}
			for i := range tc.causes {
				if !strings.Contains(r.summary, fmt.Sprintf("quirk number %d)", i)) {
					t.Errorf("the summary does not list the cause of %s", names[i])
				}
			}
			for _, row := range r.results(t)[tc.causes:] {
				if row.Status != "uploaded" {
					t.Errorf("app %s is %s, want uploaded", row.App, row.Status)
				}
			}
		})
	}
}

// TestDriftRows checks what check mode says of drifting apps: what
// mos.portal holds, in the row, the log and the summary, and that drift
// replaced nothing.
func TestDriftRows(t *testing.T) {
	t.Parallel()
	w := setup(t)
	const otherIssuer = "0f3c9a2e-5b1d-4e7a-9c8b-2d6f1a3e4b5c"
	// weather holds nothing; news and sports TESTKEY002; maps the checked
	// key under another Issuer ID; shop TESTKEY002 of another team.
	w.preload(t, "news", 10)
	w.preload(t, "sports", 10)
	current := newKeyRecord(t, w)
	current.IssuerID = otherIssuer
	w.portal.SetIOSKey(project, "maps", current)
	w.preload(t, "shop", 10)
	theirs, _ := w.portal.IOSKey(project, "shop")
	theirs.IssuerID = otherIssuer
	w.portal.SetIOSKey(project, "shop", theirs)

	r := w.run(t, w.inputs(map[string]string{"mode": "check", "mos-apps": "weather\nnews\nsports\nmaps\nshop"}))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed for drift", r.err)
	}
	want := []action.Result{
		{Platform: "ios", App: "weather", Status: "drift", Error: "mos.portal holds no key"},
		{Platform: "ios", App: "news", Status: "drift", HeldKeyID: oldKeyID, Error: "mos.portal holds key TESTKEY002"},
		{Platform: "ios", App: "sports", Status: "drift", HeldKeyID: oldKeyID, Error: "mos.portal holds key TESTKEY002"},
		{Platform: "ios", App: "maps", Status: "drift", HeldKeyID: keyID, Error: "mos.portal holds this key under Issuer ID 0f3c9a2e…"},
		{Platform: "ios", App: "shop", Status: "drift", HeldKeyID: oldKeyID, Error: "mos.portal holds key TESTKEY002 of another team (Issuer ID 0f3c9a2e…)"},
	}
	if diff := cmp.Diff(want, r.results(t)); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.outputs["results"], `"heldKeyId":""`) || !strings.Contains(r.outputs["results"], `"previousKeyId":""`) {
		t.Errorf("results lacks heldKeyId or previousKeyId as strings: %s", r.outputs["results"])
	}
	for _, line := range []string{
		"App Store Connect app weather: drift: mos.portal holds no key\n",
		"App Store Connect app news: drift: mos.portal holds TESTKEY002\n",
		"App Store Connect app maps: drift: mos.portal holds this key under Issuer ID 0f3c9a2e…\n",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("the log lacks %q:\n%s", line, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "previously") {
		t.Errorf("the log calls drift a replacement:\n%s", r.stdout)
	}
	// news and sports drift to the same key: one cause, one annotation.
	var drift []string
	for _, a := range annotationsOf(r.stdout) {
		if a.level == "error" && a.title == "App Store Connect key drift in mos.portal" {
			drift = append(drift, a.msg)
		}
	}
	if len(drift) != 4 || !slicesContainsPrefix(drift, "mos.portal holds key TESTKEY002, not the checked key TESTKEY001") ||
		!slicesContainsSuffix(drift, "Apps affected (2): news, sports (ios).") {
		t.Errorf("drift errors:\n%s\nwant 4, news and sports in one", strings.Join(drift, "\n"))
	}
	for _, row := range []string{
		"| news | ⚠️ drift | TESTKEY002 |  | mos.portal holds key TESTKEY002 |",
		"| weather | ⚠️ drift |  |  | mos.portal holds no key |",
	} {
		if !strings.Contains(r.summary, row) {
			t.Errorf("the summary lacks the row %q:\n%s", row, r.summary)
		}
	}
	if !strings.Contains(r.summary, "❌ check: 5 drift · ") {
		t.Errorf("the summary's headline does not say 5 drift in check mode:\n%s", r.summary)
	}
	t.Logf("as a user sees it:\n%s\nresults=%s", strings.Join(regexp.MustCompile(`(?m)^(::error .*|App Store Connect app .*)$`).FindAllString(r.stdout, -1), "\n"), r.outputs["results"])
}

func slicesContainsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func slicesContainsSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}

// TestSummaryHeadline checks the summary's first line: verdict, mode, the
// apps by status and the duration, from the injected clock at the start
// and at the end of the run.
func TestSummaryHeadline(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		prepare func(t *testing.T, w *world)
		extra   map[string]string
		want    string
	}{
		{name: "a sync that uploads one key",
			prepare: func(t *testing.T, w *world) {
				w.portal.SetIOSKey(project, "weather", newKeyRecord(t, w))
				w.portal.SetIOSKey(project, "news", newKeyRecord(t, w))
			},
			want: "✅ sync: 1 uploaded, 2 unchanged · 1.2 s"},
		{name: "a check that finds drift fails",
			prepare: func(t *testing.T, w *world) { w.portal.SetIOSKey(project, "weather", newKeyRecord(t, w)) },
			extra:   map[string]string{"mode": "check"},
			want:    "❌ check: 1 in-sync, 2 drift · 1.2 s"},
		{name: "refused inputs",
			extra: map[string]string{"timeout": "soon"},
			want:  "❌ sync: the inputs were refused · 1.2 s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			if tc.prepare != nil {
				tc.prepare(t, w)
			}
			// The first reading is the start; every later one is 1.2 s on.
			var started atomic.Bool
			now := func() time.Time {
				if started.Swap(true) {
					return fixedNow.Add(1200 * time.Millisecond)
				}
				return fixedNow
			}
			summary := w.run(t, w.inputs(tc.extra), withNow(now), withEnv(map[string]string{"GITHUB_OUTPUT": ""})).summary
			if want := "## mos. publisher keys\n\n" + tc.want + "\n\n"; !strings.HasPrefix(string(summary), want) {
				t.Errorf("the summary opens\n%.120s\nwant\n%s", summary, want)
			}
		})
	}
}
