package action_test

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
)

// The Google Play side of the end-to-end tests: the harness's world plus a
// Google stand-in that knows one service account with two keys.

// TestPlayIntakeForms: a key found in the content input or in a file of the
// workspace is checked, uploaded normalised and named in the summary by its
// form. The other encodings are playkey's unit cases (TestParseAcceptsEveryForm).
func TestPlayIntakeForms(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name     string
		in       func(t *testing.T, p *world) map[string]string
		file     func(p *world) string // content of play-key.json in the workspace, if set
		wantForm string
	}{
		{
			name: "raw JSON",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": p.keyJSON}
			},
			wantForm: "JSON",
		},
		{
			name: "file input",
			file: func(p *world) string { return p.keyJSON },
			in: func(*testing.T, *world) map[string]string {
				return map[string]string{"play-service-account-file": "secrets/play-key.json"}
			},
			wantForm: "JSON",
		},
		{
			name: "file input holding base64",
			file: func(p *world) string { return base64.StdEncoding.EncodeToString([]byte(p.keyJSON)) + "\n" },
			in: func(*testing.T, *world) map[string]string {
				return map[string]string{"play-service-account-file": "secrets/play-key.json"}
			},
			wantForm: "base64 of JSON",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.preloadPlay(t, "news", 30)
			in := p.playInputs(map[string]string{"play-service-account": ""})
			in = override(in, tc.in(t, p))
			if tc.file != nil {
				dir := filepath.Join(p.workspace, "secrets")
				if err := os.MkdirAll(dir, 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "play-key.json"), []byte(tc.file(p)), 0o600); err != nil {
					t.Fatal(err)
				}
			}

			r := p.run(t, in)
			if tc.file != nil {
				// The harness checks the content inputs only; the file's
				// content is as secret.
				assertNoLeak(t, r, map[string]string{"play-service-account": tc.file(p)})
			}
			if r.err != nil {
				t.Fatalf("error = %v\n%s", r.err, r.stdout)
			}
			expectOutputs(t, r, map[string]string{
				"valid":                "false", // no Apple key
				"play-valid":           "true",
				"play-key-id":          playKeyID,
				"play-fingerprint":     p.keyFP,
				"play-client-email":    playEmail,
				"play-previous-key-id": playOldKeyID,
				"uploaded":             "true",
			})
			if !strings.Contains(r.summary, "| Key found as | "+tc.wantForm+" |") {
				t.Errorf("the summary does not say the key was found as %q:\n%s", tc.wantForm, r.summary)
			}
			for _, app := range apps {
				p.assertUploaded(t, app)
			}
			// One token, then the production track read per package (the
			// default play-check: read), and no edit.
			if got := [3]int{
				p.google.Faults().RequestsTo("POST", "/token"),
				p.google.Faults().RequestsTo("GET", "/androidpublisher/"),
				p.google.EditsOpened(),
			}; got != [3]int{1, 2, 0} {
				t.Errorf("Google saw %d token requests, %d track reads and %d edits, want 1, 2, 0", got[0], got[1], got[2])
			}
		})
	}
}

// TestPlayRefusedBeforeAnyRequest: each title a refused Play key or input
// is annotated with, and that nothing is sent. The other inputs of each
// kind, and their messages, are playkey's unit cases (TestParseRefuses).
func TestPlayRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name      string
		in        func(t *testing.T, p *world) map[string]string
		wantTitle string
		wantMsg   []string
		// inputsRefused: the inputs themselves were refused, so the run
		// stopped before the keys and results is []; otherwise the key was
		// refused and each of its apps is failed.
		inputsRefused bool
	}{
		{
			name: "App Store Connect .p8 given as Play key",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": p.keyPEM}
			},
			wantTitle: "App Store Connect key given as Play key",
			wantMsg:   []string{"asc-key", "play-service-account"},
		},
		{
			name: "token_uri pointing elsewhere",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": editKeyFile(t, p.keyJSON, func(f map[string]any) {
					f["token_uri"] = "https://oauth2.example.net/token"
				})}
			},
			wantTitle: "Untrusted token_uri in Play key",
			wantMsg:   []string{"oauth2.example.net", "before any request", "https://oauth2.googleapis.com/token"},
		},
		{
			name: `every line break of the file written as \n`,
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": strings.ReplaceAll(p.keyJSON, "\n", `\n`)}
			},
			wantTitle: "Play service-account key is not JSON",
			wantMsg:   []string{`\n`, "base64 -w0 key.json"},
		},
		{
			name: `private_key with stray backslashes (tripled \\\n)`,
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": strings.ReplaceAll(p.keyJSON, `\n`, `\\\n`)}
			},
			wantTitle: "Play private key is unreadable",
			wantMsg:   []string{"private_key"},
		},
		{
			name: "no private_key_id",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": editKeyFile(t, p.keyJSON, func(f map[string]any) { delete(f, "private_key_id") })}
			},
			wantTitle: "Play service-account key is incomplete",
			wantMsg:   []string{"private_key_id", "Add key"},
		},
		{
			name: "no type",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": editKeyFile(t, p.keyJSON, func(f map[string]any) { delete(f, "type") })}
			},
			wantTitle: "Play service-account key is incomplete",
			wantMsg:   []string{`"type": "service_account"`},
		},
		{
			name: "user credentials instead of a service account",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": `{"type":"authorized_user","client_id":"1.apps.googleusercontent.com","client_secret":"d-FL95Q19q7MQmFpd7hHD0Ty","refresh_token":"1//0gdummy"}`}
			},
			wantTitle: "Not a service-account key",
			wantMsg:   []string{"authorized_user"},
		},
		{
			name: "the private key alone",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": p.normalisedPlayPEM}
			},
			wantTitle: "Play private key without its JSON",
		},
		{
			name: "key file cut short",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": p.keyJSON[:len(p.keyJSON)/2]}
			},
			wantTitle: "Play service-account key is not JSON",
			wantMsg:   []string{"cut short"},
		},
		{
			name: "empty secret with package names",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": ""}
			},
			wantTitle:     "Invalid input play-service-account",
			wantMsg:       []string{"forks"},
			inputsRefused: true,
		},
		{
			name: "both the content and the file input",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account-file": "play-key.json"}
			},
			wantTitle:     "Invalid input play-service-account",
			wantMsg:       []string{"exactly one"},
			inputsRefused: true,
		},
		{
			name: "file input naming no file",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": "", "play-service-account-file": "missing/play-key.json"}
			},
			wantTitle:     "Invalid input play-service-account-file",
			wantMsg:       []string{"missing/play-key.json", "does not exist"},
			inputsRefused: true,
		},
		{
			name: "package name that cannot be one",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-package-names": "com.acme.weather, acme weather"}
			},
			wantTitle: "Invalid Play package name",
			wantMsg:   []string{`"acme weather"`},
		},
		{
			name: "play-api-url over plain http to another host",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-api-url": "http://play.example.com"}
			},
			wantTitle:     "Invalid play-api-url",
			inputsRefused: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.preloadPlay(t, "news", 30)

			r := p.run(t, p.playInputs(tc.in(t, p)))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed\n%s", r.err, r.stdout)
			}
			a, ok := find(r, "error", tc.wantTitle)
			if !ok {
				t.Fatalf("error titles %q do not include %q\n%s", titles(r, "error"), tc.wantTitle, r.stdout)
			}
			for _, s := range tc.wantMsg {
				if !strings.Contains(a.msg, s) {
					t.Errorf("the %q error does not mention %q: %s", tc.wantTitle, s, a.msg)
				}
			}
			if n := p.google.Faults().Requests(); n != 0 {
				t.Errorf("Google saw %d requests; the key must be refused before the first", n)
			}
			if n := p.portal.Faults().Requests(); n != 0 {
				t.Errorf("mos.portal saw %d requests; the key must be refused before the first", n)
			}
			expectOutputs(t, r, map[string]string{"play-valid": "false", "uploaded": "false"})
			wantStatus := statusesOf("android", "failed")
			if tc.inputsRefused {
				wantStatus = map[string]string{}
			}
			if diff := cmp.Diff(wantStatus, r.statuses(t)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if rec, _ := p.portal.AndroidKey(project, "news"); rec.PrivateKeyID != playOldKeyID {
				t.Errorf("mos.portal changed: news holds %q", rec.PrivateKeyID)
			}
		})
	}
}

func TestPlayFailuresAgainstGoogle(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name      string
		prepare   func(p *world)
		in        map[string]string
		wantTitle string
		wantMsg   []string
		// wantAlso are the titles of further errors, each its own annotation.
		wantAlso []string
		// perPackage: both packages fail alike, one annotation each.
		perPackage bool
		// wantReads is how many edits the check opens (and must delete).
		wantReads int
	}{
		{
			name:      "deleted key",
			prepare:   func(p *world) { p.google.DeleteKey(playEmail, playKeyID) },
			wantTitle: "Play key deleted or rotated",
			wantMsg:   []string{"invalid_grant: Invalid JWT Signature.", playKeyID, playEmail, "Add key"},
		},
		{
			name:      "deleted service account",
			prepare:   func(p *world) { p.google.DeleteServiceAccount(playEmail) },
			wantTitle: "Play service account not found",
			wantMsg:   []string{"account not found", playEmail, "Users and permissions"},
		},
		{
			name:      "runner clock two hours behind Google's",
			prepare:   func(p *world) { p.skew.Store(int64(2 * time.Hour)) },
			wantTitle: "Clock skew in Google sign-in",
			wantMsg:   []string{"short-lived token", "NTP"},
		},
		{
			name:       "Play Developer API not enabled",
			prepare:    func(p *world) { p.google.DisableAPI(playProjectNum) },
			wantTitle:  "Google Play Android Developer API disabled",
			wantMsg:    []string{"project " + playProjectNum, "https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview?project=" + playProjectNum},
			perPackage: true,
			wantReads:  2,
		},
		{
			name:      "service account not invited for one app",
			prepare:   func(p *world) { p.google.RevokeAccess(pkgNews, playEmail) },
			wantTitle: "No Play Console access to " + pkgNews,
			wantMsg:   []string{"403", playEmail, "Users and permissions", "24–36 hours"},
			wantReads: 2,
		},
		{
			name:      "unknown package",
			in:        map[string]string{"play-package-names": pkgWeather + "\ncom.acme.unknown"},
			wantTitle: "Play package not found: com.acme.unknown",
			wantMsg:   []string{"404", "uploaded by hand"},
			wantReads: 2,
		},
		{
			name: "one package unknown, another not invited",
			prepare: func(p *world) {
				p.google.RevokeAccess(pkgNews, playEmail)
			},
			in:        map[string]string{"play-package-names": pkgNews + "\ncom.acme.unknown\n" + pkgWeather},
			wantTitle: "Play package not found: com.acme.unknown",
			wantMsg:   []string{"com.acme.unknown"},
			wantAlso:  []string{"No Play Console access to " + pkgNews},
			wantReads: 3,
		},
		{
			name: "token endpoint down",
			prepare: func(p *world) {
				p.google.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, PathPrefix: "/token"})
			},
			wantTitle: "Google sign-in unavailable",
			wantMsg:   []string{"503", "run again later"},
		},
		{
			name: "Play API down",
			prepare: func(p *world) {
				p.google.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Method: "GET", PathPrefix: "/androidpublisher/"})
			},
			wantTitle:  "Google Play unavailable",
			wantMsg:    []string{"503", "run again later"},
			perPackage: true,
			wantReads:  10, // 5 attempts per package
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.preloadPlay(t, "news", 30)
			if tc.prepare != nil {
				tc.prepare(p)
			}

			r := p.run(t, p.playInputs(tc.in))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed\n%s", r.err, r.stdout)
			}
			a, ok := find(r, "error", tc.wantTitle)
			if !ok {
				t.Fatalf("error titles %q do not include %q\n%s", titles(r, "error"), tc.wantTitle, r.stdout)
			}
			for _, s := range tc.wantMsg {
				if !strings.Contains(a.msg, s) {
					t.Errorf("the %q error does not mention %q: %s", tc.wantTitle, s, a.msg)
				}
			}
			for _, title := range tc.wantAlso {
				if _, ok := find(r, "error", title); !ok {
					t.Errorf("error titles %q do not include %q", titles(r, "error"), title)
				}
			}
			wantErrors := 1 + len(tc.wantAlso)
			if tc.perPackage {
				wantErrors = 2
			}
			if n := len(titles(r, "error")); n != wantErrors {
				t.Errorf("%d error annotations %q, want %d: one per failure", n, titles(r, "error"), wantErrors)
			}
			expectOutputs(t, r, map[string]string{
				"play-valid":       "false",
				"play-key-id":      playKeyID, // says which key failed
				"play-fingerprint": p.keyFP,
				"uploaded":         "false",
			})
			if diff := cmp.Diff(statusesOf("android", "failed"), r.statuses(t)); diff != "" {
				t.Errorf("statuses (-want +got): every app of the failed key is listed failed\n%s", diff)
			}
			if n := p.androidRequests(""); n != 0 {
				t.Errorf("mos.portal saw %d Android requests; a key that failed the check must not reach it", n)
			}
			if n := p.google.Faults().RequestsTo("GET", "/androidpublisher/"); n != tc.wantReads {
				t.Errorf("%d track reads were requested, want %d", n, tc.wantReads)
			}
			if n := p.google.EditsOpened(); n != 0 {
				t.Errorf("%d edits were opened, want none with play-check: read", n)
			}
			if !strings.Contains(r.summary, "| Google Play check | ❌ ") {
				t.Errorf("the summary does not show the failed check:\n%s", r.summary)
			}
		})
	}
}

func TestPlayRetriesA503Burst(t *testing.T) {
	t.Parallel()
	p := setup(t)
	p.google.Faults().Add(
		fault.Fault{Kind: fault.Status, Status: 503, Times: 2, PathPrefix: "/token"},
		fault.Fault{Kind: fault.Status, Status: 503, Times: 2, Method: "GET", PathPrefix: "/androidpublisher/"},
	)

	r := p.run(t, p.playInputs(nil))
	if r.err != nil {
		t.Fatalf("error = %v\n%s", r.err, r.stdout)
	}
	expectOutputs(t, r, map[string]string{"play-valid": "true", "uploaded": "true"})
	if diff := cmp.Diff(map[string]string{"android/weather": "uploaded", "android/news": "uploaded", "android/sports": "uploaded"}, r.statuses(t)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if n := p.google.Faults().RequestsTo("", "/token"); n != 3 {
		t.Errorf("the token endpoint saw %d requests, want 3 (two 503s, then the token)", n)
	}
	if n := p.google.Faults().RequestsTo("GET", "/androidpublisher/"); n != 4 {
		t.Errorf("%d track reads were requested, want 4 (two 503s, then one per package)", n)
	}
	// Each retry line names the request (and the app), never the reason phrase.
	for _, want := range []string{`Google token endpoint: answered 503; retry 2 of 4 in `, `Google Play GET com\.acme\.\w+/tracks/production/releases: answered 503; retry 1 of 4 in `} {
		if !regexp.MustCompile(`(?m)^` + want).MatchString(r.stdout) {
			t.Errorf("the log has no line like %q:\n%s", want, r.stdout)
		}
	}
	if got := titles(r, "error"); len(got) != 0 {
		t.Errorf("error annotations %q after a successful retry", got)
	}
}

func TestPlayEditNotDeleted(t *testing.T) {
	t.Parallel()
	p := setup(t)
	p.google.Faults().Add(fault.Fault{Kind: fault.Status, Status: 403, Method: "DELETE", PathPrefix: "/androidpublisher/v3/applications/" + pkgNews + "/",
		Body: `{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED"}}`})

	r := p.run(t, p.playInputs(map[string]string{"play-check": "edit"}), leavesEdits(1))
	if r.err != nil {
		t.Fatalf("error = %v; an edit left open is a warning, the key is fine\n%s", r.err, r.stdout)
	}
	a, ok := find(r, "warning", "Google Play edit left open")
	if !ok {
		t.Fatalf("warnings %q lack the edit left open\n%s", titles(r, "warning"), r.stdout)
	}
	if !strings.Contains(a.msg, pkgNews) || !strings.Contains(a.msg, "HTTP 403") {
		t.Errorf("the warning does not name the package and the answer: %s", a.msg)
	}
	if n := p.google.OpenEdits(pkgNews); n != 1 {
		t.Errorf("%d edits of %s are open, want the 1 the stand-in refused to delete", n, pkgNews)
	}
	if n := p.google.OpenEdits(pkgWeather); n != 0 {
		t.Errorf("%d edits of %s are open, want 0", n, pkgWeather)
	}
	expectOutputs(t, r, map[string]string{"play-valid": "true", "uploaded": "true"})
}

func TestPlaySync(t *testing.T) {
	t.Parallel()

	t.Run("first upload, unchanged, in sync, forced", func(t *testing.T) {
		t.Parallel()
		p := setup(t)

		first := p.run(t, p.playInputs(nil))
		if first.err != nil {
			t.Fatalf("first run failed: %v\n%s", first.err, first.stdout)
		}
		want := []action.Result{
			{Platform: "android", App: "weather", Status: "uploaded", HeldKeyID: playKeyID},
			{Platform: "android", App: "news", Status: "uploaded", HeldKeyID: playKeyID},
			{Platform: "android", App: "sports", Status: "uploaded", HeldKeyID: playKeyID},
		}
		if diff := cmp.Diff(want, first.results(t)); diff != "" {
			t.Errorf("first run results (-want +got):\n%s", diff)
		}
		expectOutputs(t, first, map[string]string{
			"valid": "false", "play-valid": "true", "uploaded": "true",
			"play-key-id": playKeyID, "play-fingerprint": p.keyFP, "play-client-email": playEmail,
			"play-previous-key-id": "", "play-key-age-days": "0",
		})
		if got := titles(first, "notice"); len(got) != 0 {
			t.Errorf("notices %q on a first upload; nothing was replaced", got)
		}
		for _, app := range apps {
			p.assertUploaded(t, app)
		}

		// The same key in another form: nothing is written.
		puts := p.androidRequests("PUT")
		second := p.run(t, p.playInputs(map[string]string{"play-service-account": base64.StdEncoding.EncodeToString([]byte(p.keyJSON))}))
		if second.err != nil {
			t.Fatalf("second run failed: %v\n%s", second.err, second.stdout)
		}
		if diff := cmp.Diff(map[string]string{"android/weather": "unchanged", "android/news": "unchanged", "android/sports": "unchanged"}, second.statuses(t)); diff != "" {
			t.Errorf("second run statuses (-want +got):\n%s", diff)
		}
		expectOutputs(t, second, map[string]string{"uploaded": "false", "play-previous-key-id": "", "play-fingerprint": p.keyFP})
		if n := p.androidRequests("PUT") - puts; n != 0 {
			t.Errorf("the unchanged run sent %d PUTs, want none", n)
		}

		// Check mode agrees.
		third := p.run(t, p.playInputs(map[string]string{"mode": "check"}))
		if third.err != nil {
			t.Fatalf("check run failed: %v\n%s", third.err, third.stdout)
		}
		if diff := cmp.Diff(map[string]string{"android/weather": "in-sync", "android/news": "in-sync", "android/sports": "in-sync"}, third.statuses(t)); diff != "" {
			t.Errorf("check run statuses (-want +got):\n%s", diff)
		}

		// Force uploads the same key again, replacing nothing.
		puts = p.androidRequests("PUT")
		forced := p.run(t, p.playInputs(map[string]string{"mode": "force"}))
		if forced.err != nil {
			t.Fatalf("forced run failed: %v\n%s", forced.err, forced.stdout)
		}
		if diff := cmp.Diff(want, forced.results(t)); diff != "" {
			t.Errorf("forced run results (-want +got):\n%s", diff)
		}
		expectOutputs(t, forced, map[string]string{"uploaded": "true", "play-previous-key-id": ""})
		if n := p.androidRequests("PUT") - puts; n != len(apps) {
			t.Errorf("the forced run sent %d PUTs, want %d", n, len(apps))
		}
		if got := titles(forced, "notice"); len(got) != 0 {
			t.Errorf("notices %q on a forced upload of the same key", got)
		}
	})

	t.Run("a replaced key is named with the reminder to delete it", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.preloadPlay(t, "weather", 200)
		p.preloadPlay(t, "news", 200)

		r := p.run(t, p.playInputs(nil))
		if r.err != nil {
			t.Fatalf("error = %v\n%s", r.err, r.stdout)
		}
		want := []action.Result{
			{Platform: "android", App: "weather", Status: "uploaded", HeldKeyID: playKeyID, PreviousKeyID: playOldKeyID},
			{Platform: "android", App: "news", Status: "uploaded", HeldKeyID: playKeyID, PreviousKeyID: playOldKeyID},
			{Platform: "android", App: "sports", Status: "uploaded", HeldKeyID: playKeyID},
		}
		if diff := cmp.Diff(want, r.results(t)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		expectOutputs(t, r, map[string]string{"play-previous-key-id": playOldKeyID, "uploaded": "true", "play-key-age-days": "0"})
		a, ok := find(r, "notice", "Replaced Google Play key "+playOldKeyID)
		if !ok {
			t.Fatalf("notices %q lack the replaced key %s\n%s", titles(r, "notice"), playOldKeyID, r.stdout)
		}
		for _, s := range []string{"weather, news", playKeyID, playOldKeyID, "delete the old key in Google Cloud", "Service accounts", "Keys"} {
			if !strings.Contains(a.msg, s) {
				t.Errorf("the notice does not mention %q: %s", s, a.msg)
			}
		}
		for _, app := range apps {
			p.assertUploaded(t, app)
		}
	})

	t.Run("check mode reports drift and writes nothing", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.preloadPlay(t, "news", 10)

		r := p.run(t, p.playInputs(map[string]string{"mode": "check"}))
		if !errors.Is(r.err, action.ErrFailed) {
			t.Fatalf("error = %v, want ErrFailed for drift\n%s", r.err, r.stdout)
		}
		// Drift replaced nothing: each row says what mos.portal holds.
		want := []action.Result{
			{Platform: "android", App: "weather", Status: "drift", Error: "mos.portal holds no key"},
			{Platform: "android", App: "news", Status: "drift", HeldKeyID: playOldKeyID, Error: "mos.portal holds key a1b2c3d4…"},
			{Platform: "android", App: "sports", Status: "drift", Error: "mos.portal holds no key"},
		}
		if diff := cmp.Diff(want, r.results(t)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		// The key itself is fine; nothing was replaced.
		expectOutputs(t, r, map[string]string{"play-valid": "true", "uploaded": "false", "play-previous-key-id": ""})
		if n := p.androidRequests("PUT"); n != 0 {
			t.Errorf("check mode sent %d PUTs", n)
		}
		var drift []annotation
		for _, a := range annotationsOf(r.stdout) {
			if a.level == "error" && a.title == "Google Play key drift in mos.portal" {
				drift = append(drift, a)
			}
		}
		// One per cause: weather and sports hold nothing, news the old key.
		if len(drift) != 2 || !strings.HasSuffix(drift[0].msg, "Apps affected (2): weather, sports (android).") ||
			!strings.HasPrefix(drift[1].msg, "app news (android): mos.portal holds key a1b2c3d4…, not the checked key "+playKeyID) {
			t.Fatalf("%d drift errors, want one for weather and sports and one for news:\n%s", len(drift), r.stdout)
		}
		for _, a := range drift {
			if !strings.Contains(a.msg, "mode: sync") {
				t.Errorf("the drift error does not say how to fix it: %s", a.msg)
			}
		}
		if rec, _ := p.portal.AndroidKey(project, "news"); rec.PrivateKeyID != playOldKeyID {
			t.Errorf("check mode changed mos.portal: news holds %q", rec.PrivateKeyID)
		}
	})

	t.Run("check mode without mos.portal asks Google only", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		r := p.run(t, p.playInputs(checkOnly))
		if r.err != nil {
			t.Fatalf("error = %v\n%s", r.err, r.stdout)
		}
		expectOutputs(t, r, map[string]string{"play-valid": "true", "results": "[]", "play-key-id": playKeyID})
		if n := p.portal.Faults().Requests(); n != 0 {
			t.Errorf("mos.portal saw %d requests", n)
		}
	})
}

func TestApplePlayIndependence(t *testing.T) {
	t.Parallel()

	// The good store's apps are uploaded; the failed key's are listed,
	// failed, and were not touched.
	want := func(good string) map[string]string {
		out := map[string]string{}
		for _, app := range apps {
			out["ios/"+app], out["android/"+app] = "failed", "failed"
			out[good+"/"+app] = "uploaded"
		}
		return out
	}
	cases := []struct {
		name      string
		prepare   func(p *world)
		in        func(t *testing.T, p *world) map[string]string
		wantTitle string
		// The store that must still be checked and synced.
		good string
		// The Play key could not be read, so it has no ID to report.
		playUnread bool
	}{
		{
			name:      "App Store Connect refuses the Apple key, Play is synced",
			prepare:   func(p *world) { p.asc.RevokeKey(keyID) },
			wantTitle: "App Store Connect rejected the key (401 NOT_AUTHORIZED)",
			good:      "android",
		},
		{
			name:      "Google refuses the Play key, Apple is synced",
			prepare:   func(p *world) { p.google.DeleteKey(playEmail, playKeyID) },
			wantTitle: "Play key deleted or rotated",
			good:      "ios",
		},
		{
			name:      "the service account is not invited, Apple is synced",
			prepare:   func(p *world) { p.google.RevokeAccess(pkgWeather, playEmail) },
			wantTitle: "No Play Console access to " + pkgWeather,
			good:      "ios",
		},
		{
			name: "the Play key is refused before any request, Apple is synced",
			in: func(t *testing.T, p *world) map[string]string {
				return map[string]string{"play-service-account": editKeyFile(t, p.keyJSON, func(f map[string]any) {
					f["token_uri"] = "https://oauth2.example.net/token"
				})}
			},
			wantTitle:  "Untrusted token_uri in Play key",
			good:       "ios",
			playUnread: true,
		},
		{
			name:      "the Apple key is refused before any request, Play is synced",
			in:        func(t *testing.T, p *world) map[string]string { return map[string]string{"asc-key": p.keyJSON} },
			wantTitle: "Google service account given as App Store Connect key",
			good:      "android",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			if tc.prepare != nil {
				tc.prepare(p)
			}
			var extra map[string]string
			if tc.in != nil {
				extra = tc.in(t, p)
			}

			r := p.run(t, p.bothInputs(extra))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed: one of the keys failed\n%s", r.err, r.stdout)
			}
			if !slices.Contains(titles(r, "error"), tc.wantTitle) {
				t.Errorf("error titles %q do not include %q\n%s", titles(r, "error"), tc.wantTitle, r.stdout)
			}
			if diff := cmp.Diff(want(tc.good), r.statuses(t)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			appleOK, playOK := tc.good == "ios", tc.good == "android"
			wantPlayKeyID := playKeyID
			if tc.playUnread {
				wantPlayKeyID = ""
			}
			expectOutputs(t, r, map[string]string{
				"valid":         strconv.FormatBool(appleOK),
				"play-valid":    strconv.FormatBool(playOK),
				"uploaded":      "true",
				"asc-key-id":    keyID,
				"asc-issuer-id": issuer,
				"play-key-id":   wantPlayKeyID,
			})
			if appleOK {
				if n := p.androidRequests(""); n != 0 {
					t.Errorf("mos.portal saw %d Android requests for the failed Play key", n)
				}
				for _, app := range apps {
					if rec, _ := p.portal.IOSKey(project, app); rec.KeyID != keyID {
						t.Errorf("mos.portal app %s holds iOS key %q, want %s", app, rec.KeyID, keyID)
					}
				}
			} else {
				if n := p.iosRequests(); n != 0 {
					t.Errorf("mos.portal saw %d iOS requests for the failed Apple key", n)
				}
				for _, app := range apps {
					p.assertUploaded(t, app)
				}
			}
		})
	}
}

func TestPlayOnlyRun(t *testing.T) {
	t.Parallel()
	p := setup(t)

	r := p.run(t, p.playInputs(nil))
	if r.err != nil {
		t.Fatalf("error = %v\n%s", r.err, r.stdout)
	}
	expectOutputs(t, r, map[string]string{
		"valid": "false", "asc-key-id": "", "asc-issuer-id": "", "asc-fingerprint": "", "asc-previous-key-id": "",
		"play-valid": "true", "play-key-id": playKeyID, "play-client-email": playEmail, "uploaded": "true",
	})
	if n := p.asc.Requests(); n != 0 {
		t.Errorf("App Store Connect saw %d requests in a run without an Apple key", n)
	}
	if n := p.iosRequests(); n != 0 {
		t.Errorf("mos.portal saw %d iOS requests in a run without an Apple key", n)
	}
	if strings.Contains(r.summary, "App Store Connect") {
		t.Errorf("the summary shows App Store Connect although no Apple key was given:\n%s", r.summary)
	}
	for _, s := range []string{"### Google Play key", "| Client email | " + playEmail + " |", "| Private key ID | " + playKeyID + " |", "| Fingerprint | " + p.keyFP + " |"} {
		if !strings.Contains(r.summary, s) {
			t.Errorf("the summary lacks %q:\n%s", s, r.summary)
		}
	}
}
