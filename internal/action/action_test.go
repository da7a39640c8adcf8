package action_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/version"
)

func TestSyncUploadsOnlyWhatChanged(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.preload(t, "news", 120)

	first := w.run(t, w.inputs(nil))
	if first.err != nil {
		t.Fatalf("first run failed: %v\n%s", first.err, first.stdout)
	}
	if diff := cmp.Diff(map[string]string{"ios/weather": "uploaded", "ios/news": "uploaded", "ios/sports": "uploaded"}, first.statuses(t)); diff != "" {
		t.Errorf("first run statuses (-want +got):\n%s", diff)
	}
	for name, want := range map[string]string{"valid": "true", "uploaded": "true", "asc-key-id": keyID, "asc-issuer-id": issuer, "asc-previous-key-id": oldKeyID} {
		if got := first.outputs[name]; got != want {
			t.Errorf("output %s = %q, want %q", name, got, want)
		}
	}
	if got := titles(first, "notice"); len(got) != 1 || !strings.Contains(got[0], oldKeyID) {
		t.Errorf("notices = %q, want one naming the replaced key %s", got, oldKeyID)
	}
	if n := w.asc.Requests(); n != 1 {
		t.Errorf("App Store Connect saw %d requests, want exactly 1", n)
	}
	for _, app := range apps {
		rec, ok := w.portal.IOSKey(project, app)
		if !ok || rec.KeyID != keyID || rec.Fingerprint != first.outputs["asc-fingerprint"] {
			t.Errorf("mos.portal app %s holds %+v, want key %s with fingerprint %s", app, rec.KeyID, keyID, first.outputs["asc-fingerprint"])
		}
		if !strings.HasPrefix(rec.PrivateKey, "-----BEGIN PRIVATE KEY-----\n") {
			t.Errorf("mos.portal app %s received a key that is not a PKCS#8 PEM", app)
		}
	}

	// The same key in another encoding: nothing changes, nothing is written.
	puts := w.portal.Faults().RequestsTo("PUT", "/")
	second := w.run(t, w.inputs(map[string]string{"asc-key": base64.StdEncoding.EncodeToString([]byte(w.keyPEM))}))
	if second.err != nil {
		t.Fatalf("second run failed: %v\n%s", second.err, second.stdout)
	}
	if diff := cmp.Diff(map[string]string{"ios/weather": "unchanged", "ios/news": "unchanged", "ios/sports": "unchanged"}, second.statuses(t)); diff != "" {
		t.Errorf("second run statuses (-want +got):\n%s", diff)
	}
	if second.outputs["uploaded"] != "false" || second.outputs["asc-previous-key-id"] != "" {
		t.Errorf("second run: uploaded=%q asc-previous-key-id=%q, want false and empty", second.outputs["uploaded"], second.outputs["asc-previous-key-id"])
	}
	if second.outputs["asc-fingerprint"] != first.outputs["asc-fingerprint"] {
		t.Errorf("fingerprint changed with the encoding: %q then %q", first.outputs["asc-fingerprint"], second.outputs["asc-fingerprint"])
	}
	if n := w.portal.Faults().RequestsTo("PUT", "/") - puts; n != 0 {
		t.Errorf("the unchanged run sent %d PUTs, want none", n)
	}
}

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.preload(t, "news", 120)
	w.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 403, Method: "GET", PathPrefix: "/api/v1/projects/acme/apps/sports/",
		Body: `{"error":{"code":"forbidden","message":"token has no access to app sports"}}`})

	r := w.run(t, w.inputs(map[string]string{"asc-bundle-ids": "com.acme.weather, com.acme.news"}))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("run error = %v, want ErrFailed for the forbidden app", r.err)
	}
	golden(t, "summary.golden.md", r.summary)
}

func golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestRejectedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	key, keyPEM := readKey(t, "AuthKey_TESTKEY001.p8")
	_, sec1 := sec1PEM(t, key)

	cases := []struct {
		name      string
		in        map[string]string
		wantTitle string
		wantMsg   string
		// inputsRefused: the inputs themselves were refused, so results is
		// []; otherwise the key was refused and each of its apps is failed.
		inputsRefused bool
		// wantOneError: the cause is given once, not once per input.
		wantOneError bool
	}{
		{name: "empty key", in: map[string]string{"asc-key": ""}, wantTitle: "Invalid input asc-key", wantMsg: "forks", inputsRefused: true},
		{name: "truncated key", in: map[string]string{"asc-key": keyPEM[:len(keyPEM)/2]}, wantMsg: "asc-key"},
		{name: "key id wrong shape", in: map[string]string{"asc-key-id": "abc"}, wantMsg: "abc"},
		{name: "issuer id is a team id", in: map[string]string{"asc-issuer-id": "A1B2C3D4E5"}, wantMsg: "Team ID"},
		{name: "no issuer id", in: map[string]string{"asc-issuer-id": ""}, wantMsg: "team keys"},
		{name: "both key inputs", in: map[string]string{"asc-key-file": "AuthKey_TESTKEY001.p8"}, wantTitle: "Invalid input asc-key", wantMsg: "exactly one", inputsRefused: true},
		{name: "unknown mode", in: map[string]string{"mode": "upload"}, wantTitle: "Invalid input mode", wantMsg: `"upload"`, inputsRefused: true},
		{name: "bad timeout", in: map[string]string{"timeout": "soon"}, wantTitle: "Invalid input timeout", inputsRefused: true},
		{name: "plain http portal", in: map[string]string{"mos-url": "http://portal.example.com"}, wantTitle: "Invalid mos-url", wantMsg: "plain http", inputsRefused: true},
		{name: "mos inputs partly missing", in: map[string]string{"mos-token": ""}, wantTitle: "Invalid input mos-token", wantMsg: "forks", inputsRefused: true},
		{name: "sync without mos", in: map[string]string{"mos-url": "", "mos-token": "", "mos-project": "", "mos-apps": ""}, wantTitle: "Invalid input mos-url", wantMsg: "mode: check", inputsRefused: true},
		{name: "bad bundle id", in: map[string]string{"asc-bundle-ids": "com.acme.weather, com acme"}, wantTitle: "Invalid asc-bundle-ids"},
		{name: "key id and issuer id swapped", in: map[string]string{"asc-key-id": issuer, "asc-issuer-id": keyID},
			wantTitle: "Key ID and Issuer ID swapped", wantMsg: "the two look swapped", wantOneError: true},
		{name: "sec1 key of P-256 with bad issuer", in: map[string]string{"asc-key": sec1, "asc-issuer-id": "not-a-uuid"}, wantMsg: "UUID"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			w.preload(t, "news", 10)
			r := w.run(t, w.inputs(tc.in))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed", r.err)
			}
			titles := titles(r, "error")
			if len(titles) == 0 {
				t.Fatalf("no ::error annotation with a title in:\n%s", r.stdout)
			}
			if tc.wantTitle != "" && !slices.Contains(titles, tc.wantTitle) {
				t.Errorf("error titles %q do not include %q", titles, tc.wantTitle)
			}
			if tc.wantOneError && len(titles) != 1 {
				t.Errorf("error titles %q, want only %q", titles, tc.wantTitle)
			}
			if tc.wantMsg != "" && !strings.Contains(r.stdout, tc.wantMsg) {
				t.Errorf("log does not mention %q:\n%s", tc.wantMsg, r.stdout)
			}
			if n := w.asc.Faults().Requests() + w.portal.Faults().Requests() + w.google.Faults().Requests(); n != 0 {
				t.Errorf("%d requests were sent; inputs must be refused before the first request", n)
			}
			if r.outputs["valid"] != "false" || r.outputs["uploaded"] != "false" {
				t.Errorf("valid=%q uploaded=%q, want false and false", r.outputs["valid"], r.outputs["uploaded"])
			}
			wantStatus := statusesOf("ios", "failed")
			if tc.inputsRefused {
				wantStatus = map[string]string{}
			}
			if diff := cmp.Diff(wantStatus, r.statuses(t)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if rec, _ := w.portal.IOSKey(project, "news"); rec.KeyID != oldKeyID {
				t.Errorf("mos.portal changed: news holds %q", rec.KeyID)
			}
		})
	}
}

func sec1PEM(t testing.TB, k *ecdsa.PrivateKey) ([]byte, string) {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

func TestStoreRejectionLeavesPortalUntouched(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name       string
		opts       []ascstandin.Option // of the App Store Connect stand-in
		prepare    func(w *world)
		in         map[string]string
		wantTitle  string
		wantInLog  []string
		notInLog   []string
		wantASCReq int
	}{
		{
			name:       "revoked key",
			prepare:    func(w *world) { w.asc.RevokeKey(keyID) },
			wantTitle:  "App Store Connect rejected the key (401 NOT_AUTHORIZED)",
			wantInLog:  []string{keyID, issuer, "revoked", "AuthKey_<ID>.p8"},
			notInLog:   []string{"backdated", "clock", "individual"},
			wantASCReq: 2, // the team token, then the individual key's
		},
		{
			name:       "issuer of another team",
			in:         map[string]string{"asc-issuer-id": "0ddba11a-1234-4abc-9def-0123456789ab"},
			wantTitle:  "App Store Connect rejected the key (401 NOT_AUTHORIZED)",
			wantASCReq: 2,
		},
		{
			name: "individual key",
			prepare: func(w *world) {
				w.asc.AddKey(ascstandin.Key{KeyID: keyID, IssuerID: issuer, Public: &w.key.PublicKey, Individual: true})
			},
			wantTitle:  "Individual API key, not a team key",
			wantInLog:  []string{"Key " + keyID + " is an individual API key", "Team Keys", "Nothing is uploaded."},
			notInLog:   []string{"revoked", "clock"},
			wantASCReq: 2,
		},
		{
			name:       "runner's clock 10 minutes behind",
			opts:       []ascstandin.Option{ascstandin.WithClockOffset(10 * time.Minute)},
			wantTitle:  "Runner's clock is off",
			wantInLog:  []string{"The runner's clock is 10 min 0 s behind App Store Connect's (its answer was dated 2026-11-27T09:10:00Z)", "was not judged"},
			notInLog:   []string{"revoked", "individual"},
			wantASCReq: 1,
		},
		{
			name:       "runner's clock 3 minutes ahead",
			opts:       []ascstandin.Option{ascstandin.WithClockOffset(-3 * time.Minute)},
			wantTitle:  "Runner's clock is off",
			wantInLog:  []string{"The runner's clock is 3 min 0 s ahead of App Store Connect's", "was not judged"},
			wantASCReq: 1,
		},
		{
			name: "role without access",
			prepare: func(w *world) {
				w.asc.AddKey(ascstandin.Key{KeyID: keyID, IssuerID: issuer, Public: &w.key.PublicKey, Role: ascstandin.RoleFinance})
			},
			wantTitle:  "The key's role lacks access (403 FORBIDDEN_ERROR)",
			wantInLog:  []string{"App Manager", "Admin"},
			wantASCReq: 1,
		},
		{
			name:       "bundle id not visible",
			in:         map[string]string{"asc-bundle-ids": "com.acme.weather\ncom.acme.missing"},
			wantInLog:  []string{"com.acme.missing"},
			wantASCReq: 1,
		},
		{
			name:      "agreement not accepted",
			prepare:   func(w *world) { w.asc.SetAgreement(issuer, ascstandin.AgreementExpired) },
			in:        map[string]string{"asc-bundle-ids": "com.acme.weather"},
			wantTitle: "App Store Connect agreement not accepted (403 FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED)",
			wantInLog: []string{keyID, "Nothing is wrong with the key", "Account Holder", "https://appstoreconnect.apple.com/business",
				"https://developer.apple.com/account", "no mos.portal app was touched"},
			notInLog:   []string{"role", "App Manager", "generate", "Team Keys"},
			wantASCReq: 1,
		},
		{
			name:       "agreement hides every app",
			prepare:    func(w *world) { w.asc.SetAgreement(issuer, ascstandin.AgreementHidesApps) },
			in:         map[string]string{"asc-bundle-ids": "com.acme.weather\ncom.acme.news"},
			wantTitle:  "Bundle ID not visible to the App Store Connect key",
			wantInLog:  []string{"can see none of the apps asked for (bundle IDs com.acme.weather, com.acme.news)", "another team", "Account Holder"},
			wantASCReq: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := setup(t, tc.opts...)
			w.preload(t, "news", 10)
			if tc.prepare != nil {
				tc.prepare(w)
			}
			r := w.run(t, w.inputs(mergeMode(tc.in, "force")))
			if errs := titles(r, "error"); len(errs) != 1 {
				t.Errorf("error annotations %q, want exactly one", errs)
			}
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed", r.err)
			}
			if tc.wantTitle != "" && !slices.Contains(titles(r, "error"), tc.wantTitle) {
				t.Errorf("error titles %q do not include %q", titles(r, "error"), tc.wantTitle)
			}
			for _, s := range tc.wantInLog {
				if !strings.Contains(r.stdout, s) {
					t.Errorf("log does not mention %q", s)
				}
			}
			for _, s := range tc.notInLog {
				for _, line := range strings.Split(r.stdout, "\n") {
					if strings.HasPrefix(line, "::error") && strings.Contains(line, s) {
						t.Errorf("error annotation mentions %q: %s", s, line)
					}
				}
			}
			if n := w.asc.Requests(); n != tc.wantASCReq {
				t.Errorf("App Store Connect saw %d requests, want %d", n, tc.wantASCReq)
			}
			// The app records are read before the check; no key is.
			if n := w.portal.Faults().RequestsWith("", "/publisher/"); n != 0 {
				t.Errorf("mos.portal saw %d key requests; a key that failed the check must not reach them", n)
			}
			if r.outputs["valid"] != "false" {
				t.Errorf("valid=%q, want false", r.outputs["valid"])
			}
			if diff := cmp.Diff(statusesOf("ios", "failed"), r.statuses(t)); diff != "" {
				t.Errorf("statuses (-want +got): every app of the failed key is listed failed\n%s", diff)
			}
			if r.outputs["uploaded"] != "false" {
				t.Errorf("uploaded=%q, want false", r.outputs["uploaded"])
			}
			if rec, ok := w.portal.IOSKey(project, "news"); !ok || rec.KeyID != oldKeyID {
				t.Errorf("mos.portal app news holds %q, want the old key %s it held", rec.KeyID, oldKeyID)
			}
			for _, app := range []string{"weather", "sports"} {
				if rec, ok := w.portal.IOSKey(project, app); ok {
					t.Errorf("mos.portal app %s holds key %s, want none", app, rec.KeyID)
				}
			}
		})
	}
}

func mergeMode(in map[string]string, mode string) map[string]string {
	out := map[string]string{"mode": mode}
	for k, v := range in {
		out[k] = v
	}
	return out
}

func TestCheckMode(t *testing.T) {
	t.Parallel()

	t.Run("drift fails and writes nothing", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		w.preload(t, "news", 10)
		r := w.run(t, w.inputs(map[string]string{"mode": "check"}))
		if !errors.Is(r.err, action.ErrFailed) {
			t.Fatalf("error = %v, want ErrFailed for drift", r.err)
		}
		if diff := cmp.Diff(map[string]string{"ios/weather": "drift", "ios/news": "drift", "ios/sports": "drift"}, r.statuses(t)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if n := w.portal.Faults().RequestsTo("PUT", "/"); n != 0 {
			t.Errorf("check mode sent %d PUTs", n)
		}
		if r.outputs["valid"] != "true" {
			t.Errorf("valid = %q; the key itself is fine", r.outputs["valid"])
		}
	})

	t.Run("without mos inputs only App Store Connect is asked", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		r := w.run(t, w.inputs(map[string]string{"mode": "check", "mos-url": "", "mos-token": "", "mos-project": "", "mos-apps": ""}))
		if r.err != nil {
			t.Fatalf("error = %v\n%s", r.err, r.stdout)
		}
		if r.outputs["valid"] != "true" || r.outputs["results"] != "[]" {
			t.Errorf("valid=%q results=%q", r.outputs["valid"], r.outputs["results"])
		}
	})

	t.Run("age policy fails an old key in check mode", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		r := w.run(t, w.inputs(map[string]string{"asc-key": w.oldPEM, "asc-key-id": oldKeyID, "mos-apps": "news", "mode": "check", "max-key-age": "90d"}))
		// news does not hold the old key yet: preload it.
		_ = r
		w.preload(t, "news", 120)
		r = w.run(t, w.inputs(map[string]string{"asc-key": w.oldPEM, "asc-key-id": oldKeyID, "mos-apps": "news", "mode": "check", "max-key-age": "90d"}))
		if !errors.Is(r.err, action.ErrFailed) {
			t.Fatalf("error = %v, want ErrFailed for a 120-day-old key", r.err)
		}
		if r.outputs["asc-key-age-days"] != "120" {
			t.Errorf("asc-key-age-days = %q, want 120", r.outputs["asc-key-age-days"])
		}
		if !slices.Contains(titles(r, "error"), "App Store Connect key is too old") {
			t.Errorf("errors %q lack the age error", titles(r, "error"))
		}
	})
}

func TestKeyFile(t *testing.T) {
	t.Parallel()
	w := setup(t)
	if err := os.WriteFile(filepath.Join(w.workspace, "AuthKey_TESTKEY001.p8"), []byte(w.keyPEM), 0o600); err != nil {
		t.Fatal(err)
	}

	r := w.run(t, w.inputs(map[string]string{"asc-key": "", "asc-key-id": "", "asc-key-file": "AuthKey_TESTKEY001.p8"}))
	if r.err != nil {
		t.Fatalf("error = %v\n%s", r.err, r.stdout)
	}
	if r.outputs["asc-key-id"] != keyID {
		t.Errorf("asc-key-id = %q, want %s from the file name", r.outputs["asc-key-id"], keyID)
	}

	r = w.run(t, w.inputs(map[string]string{"asc-key": "", "asc-key-id": oldKeyID, "asc-key-file": "AuthKey_TESTKEY001.p8"}))
	if !errors.Is(r.err, action.ErrFailed) || !strings.Contains(r.stdout, "AuthKey_TESTKEY001.p8") {
		t.Errorf("a Key ID that disagrees with the file name must fail naming the file; got %v\n%s", r.err, r.stdout)
	}
}

func TestUnwritableOutputsStopBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	w := setup(t)

	r := w.run(t, w.inputs(nil), withNow(time.Now), withEnv(map[string]string{
		"GITHUB_OUTPUT": filepath.Join(t.TempDir(), "missing-dir", "output"), "GITHUB_WORKSPACE": "",
	}))
	err, stdout := r.err, r.stdout
	if !errors.Is(err, action.ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed", err)
	}
	if !strings.Contains(stdout, "::error title=Cannot write the step's outputs::GITHUB_OUTPUT (") ||
		!strings.Contains(stdout, ") is missing") {
		t.Errorf("want an annotation saying the output file is missing:\n%s", stdout)
	}
	if strings.Contains(stdout, "USER") {
		t.Errorf("a missing file is not the image's USER:\n%s", stdout)
	}
	if n := w.asc.Faults().Requests() + w.portal.Faults().Requests(); n != 0 {
		t.Errorf("%d requests were sent by a step that cannot report", n)
	}
}

// TestRetryLinesNameTheRequest: a retry line says which service, which
// request and which app it is about, with the status code alone.
func TestRetryLinesNameTheRequest(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.asc.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 1})
	w.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 1, Method: "GET", PathPrefix: "/api/v1/projects/acme/apps/weather/"})
	r := w.run(t, w.inputs(nil))
	if r.err != nil {
		t.Fatalf("error = %v\n%s", r.err, r.stdout)
	}
	for _, want := range []string{
		"App Store Connect GET /v1/apps: answered 503; retry 1 of 4 in ",
		"mos.portal GET weather/ios: answered 503; retry 1 of 4 in ",
	} {
		if !strings.Contains(r.stdout, "\n"+want) {
			t.Errorf("the log has no line starting %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "Service Unavailable") {
		t.Errorf("the log shows the reason phrase:\n%s", r.stdout)
	}
}

// TestHeader: the first line shows the mode and timeout in effect, and
// leaves out one the inputs refused instead of showing "timeout 0s".
func TestHeader(t *testing.T) {
	t.Parallel()
	w := setup(t)
	cases := []struct {
		name string
		in   map[string]string
		want string // the header after the version
	}{
		{"as given", map[string]string{"mode": "check", "timeout": "45s"}, " · mode check · timeout 45s"},
		{"default timeout", map[string]string{"mode": "check", "timeout": ""}, " · mode check · timeout 2m0s"},
		{"timeout without unit", map[string]string{"mode": "check", "timeout": "5"}, " · mode check"},
		{"mode refused", map[string]string{"mode": "upload"}, " · timeout 20s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := w.run(t, w.inputs(tc.in))
			want := "mos publisher-keys " + version.Version() + tc.want
			if got := regexp.MustCompile(`(?m)^mos publisher-keys .*$`).FindString(r.stdout); got != want {
				t.Errorf("header %q, want %q\n%s", got, want, r.stdout)
			}
		})
	}
}
