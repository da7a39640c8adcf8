package main

import (
	"crypto"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// TestOwnerDrift is issue 8 §2 end to end: an app that
// holds the right key under a wrong owner (the Issuer ID of another team,
// or a service-account JSON whose client_email was edited) is drift in
// check mode, with the message naming the field and both values, and is
// uploaded in sync mode, after which it holds the key as checked and the
// next run leaves it unchanged.
func TestOwnerDrift(t *testing.T) {
	t.Parallel()
	keys := keysForLeakTest(t)
	const (
		wrongIssuer = "0f3c9a2e-5b1d-4e7a-9c8b-2d6f1a3e4b5c"
		wrongEmail  = "publisher@another-team.iam.gserviceaccount.com"
	)
	cases := []struct {
		name     string
		preload  func(t *testing.T, w *leakWorld)
		inputs   func(w *leakWorld) map[string]string
		platform string
		title    string                    // of the drift error
		says     string                    // the drift error names the field and both values
		row      string                    // the drift row's error: what mos.portal holds
		keyID    string                    // the run's key, held before and after
		owner    func(w *leakWorld) string // what mos.portal holds as owner
		want     string                    // the owner after the sync
	}{
		{
			name: "App Store Connect key under another Issuer ID", platform: "ios",
			preload: func(t *testing.T, w *leakWorld) {
				w.portal.SetIOSKey(leakProject, leakApp, portalstandin.IOSRecord{KeyID: leakKeyID, IssuerID: wrongIssuer,
					Fingerprint: fingerprint(t, &keys.ec.PublicKey), PrivateKey: keys.ecPEM, UploadedAt: time.Now().Add(-24 * time.Hour)})
			},
			inputs: func(w *leakWorld) map[string]string { return w.appleInputs(keys.ecPEM) },
			title:  "App Store Connect key drift in mos.portal",
			says:   "Issuer ID 0f3c9a2e… in mos.portal, 1ea51ea5… in the inputs",
			row:    "mos.portal holds this key under Issuer ID 0f3c9a2e…", keyID: leakKeyID,
			owner: func(w *leakWorld) string {
				rec, _ := w.portal.IOSKey(leakProject, leakApp)
				return rec.IssuerID
			},
			want: leakIssuer,
		},
		{
			name: "Google Play key under another client email", platform: "android",
			preload: func(t *testing.T, w *leakWorld) {
				w.portal.SetAndroidKey(leakProject, leakApp, portalstandin.AndroidRecord{ClientEmail: wrongEmail, PrivateKeyID: leakPlayKey,
					Fingerprint: fingerprint(t, &keys.sa.PublicKey), ServiceAccountJSON: strings.Replace(w.playJSON, leakEmail, wrongEmail, 1),
					UploadedAt: time.Now().Add(-24 * time.Hour)})
			},
			inputs: func(w *leakWorld) map[string]string { return w.playInputs(w.playJSON) },
			title:  "Google Play key drift in mos.portal",
			says:   "client email " + wrongEmail + " in mos.portal, " + leakEmail + " in the inputs",
			row:    "mos.portal holds this key under client email " + wrongEmail, keyID: leakPlayKey,
			owner: func(w *leakWorld) string {
				rec, _ := w.portal.AndroidKey(leakProject, leakApp)
				return rec.ClientEmail
			},
			want: leakEmail,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newLeakWorld(t, keys)
			tc.preload(t, w)
			in := tc.inputs(w)
			secrets := []string{in["mos-token"], in["asc-key"], in["play-service-account"]}

			in["mode"] = "check"
			out := runMain(t, nil, in)
			assertNothingLeaks(t, out, keys.ecPEM, secrets...)
			if out.code != 1 {
				t.Fatalf("check: exit %d, want 1 (drift)\n%s", out.code, out.stdout)
			}
			// Drift replaced nothing: the row says what mos.portal holds.
			wantResult(t, "check", out, action.Result{Platform: tc.platform, App: leakApp, Status: "drift", HeldKeyID: tc.keyID, Error: tc.row})
			drift := regexp.MustCompile(`(?m)^::error title=` + regexp.QuoteMeta(tc.title) + `::(.*)$`).FindStringSubmatch(out.stdout)
			if drift == nil {
				t.Fatalf("check: no %q error:\n%s", tc.title, out.stdout)
			}
			for _, s := range []string{"app " + leakApp + " (" + tc.platform + "): mos.portal holds the checked key", tc.says, "mode: sync"} {
				if !strings.Contains(drift[1], s) {
					t.Errorf("check: the drift error does not say %q: %s", s, drift[1])
				}
			}
			t.Logf("drift as a user sees it: ::error title=%s::%s", tc.title, drift[1])

			in["mode"] = "sync"
			out = runMain(t, nil, in)
			assertNothingLeaks(t, out, keys.ecPEM, secrets...)
			if out.code != 0 {
				t.Fatalf("sync: exit %d, want 0\n%s", out.code, out.stdout)
			}
			wantResult(t, "sync", out, action.Result{Platform: tc.platform, App: leakApp, Status: "uploaded", HeldKeyID: tc.keyID})
			if got := tc.owner(w); got != tc.want {
				t.Errorf("after the sync mos.portal holds owner %q, want %q", got, tc.want)
			}
			if !strings.Contains(out.stdout, "::notice title=Corrected ") || !strings.Contains(out.stdout, "Do not revoke key") {
				t.Errorf("sync: no notice that the record was corrected and the key in use must stay:\n%s", out.stdout)
			}

			out = runMain(t, nil, in)
			if out.code != 0 {
				t.Fatalf("second sync: exit %d, want 0\n%s", out.code, out.stdout)
			}
			wantResult(t, "second sync", out, action.Result{Platform: tc.platform, App: leakApp, Status: "unchanged", HeldKeyID: tc.keyID})
		})
	}
}

// wantResult asserts the results output of a one-app run.
func wantResult(t *testing.T, step string, out runOutput, want action.Result) {
	t.Helper()
	var got []action.Result
	if err := json.Unmarshal([]byte(out.outputs["results"]), &got); err != nil {
		t.Fatalf("%s: results output %q is not JSON: %v", step, out.outputs["results"], err)
	}
	if len(got) != 1 || got[0] != want {
		t.Errorf("%s: results %+v, want [%+v]", step, got, want)
	}
}

func fingerprint(t *testing.T, pub crypto.PublicKey) string {
	t.Helper()
	fp, err := portalstandin.Fingerprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	return fp
}
