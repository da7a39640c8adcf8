package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// TestTeamGuard is issue 15 end to end: mos.portal app
// weather holds team A's key, and a workflow runs with the valid key of
// team B (the run's key here; a swapped matrix entry). Without proof that
// the key serves the app, sync and force refuse it and write nothing; with
// asc-bundle-ids (play-package-names) naming an app team B sees, it
// replaces team A's key, and the notice says to revoke that key only if no
// other app uses it.
func TestTeamGuard(t *testing.T) {
	t.Parallel()
	keys := keysForLeakTest(t)
	teamA, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader) // team A's key, held by weather
	if err != nil {
		t.Fatal(err)
	}
	const (
		teamAIssuer = "a11ce000-0000-4000-8000-00000000000a"
		teamAKeyID  = "TEAMAKEY01"
		teamAEmail  = "publisher@team-a.iam.gserviceaccount.com"
		teamAPlayID = "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a"
	)
	cases := []struct {
		name     string
		platform string
		preload  func(w *leakWorld)
		held     func(w *leakWorld) any
		inputs   func(w *leakWorld) map[string]string
		proof    string // the input that proves the key
		proven   string // its value: an app the run's team sees
		title    string
		says     []string // the refusal names both owners and the proof
		heldID   string   // the other team's key, which the app keeps
		newID    string   // the run's key, which a proven sync uploads
		notice   string
	}{
		{
			name: "App Store Connect", platform: "ios",
			preload: func(w *leakWorld) {
				w.portal.SetIOSKey(leakProject, leakApp, portalstandin.IOSRecord{KeyID: teamAKeyID, IssuerID: teamAIssuer,
					Fingerprint: fingerprint(t, &teamA.PublicKey), UploadedAt: time.Now().Add(-24 * time.Hour)})
			},
			held: func(w *leakWorld) any {
				rec, _ := w.portal.IOSKey(leakProject, leakApp)
				return rec
			},
			inputs: func(w *leakWorld) map[string]string { return w.appleInputs(keys.ecPEM) },
			proof:  "asc-bundle-ids", proven: leakBundleID,
			title: "Key of another team",
			says: []string{"app weather (ios): mos.portal holds key TEAMAKEY01 of another team (Issuer ID a11ce000…)",
				"this run's key LEAKKEY001 belongs to Issuer ID 1ea51ea5…", "nothing was written",
				"give the app's bundle ID in asc-bundle-ids, or check the workflow's matrix entry"},
			heldID: teamAKeyID, newID: leakKeyID,
			notice: "Key TEAMAKEY01 is of another team: once releases work with the new key, and only if no other app uses it, revoke the old key",
		},
		{
			name: "Google Play", platform: "android",
			preload: func(w *leakWorld) {
				w.portal.SetAndroidKey(leakProject, leakApp, portalstandin.AndroidRecord{ClientEmail: teamAEmail, PrivateKeyID: teamAPlayID,
					Fingerprint: fingerprint(t, &teamA.PublicKey), UploadedAt: time.Now().Add(-24 * time.Hour)})
			},
			held: func(w *leakWorld) any {
				rec, _ := w.portal.AndroidKey(leakProject, leakApp)
				return rec
			},
			inputs: func(w *leakWorld) map[string]string { return w.playInputs(w.playJSON) },
			proof:  "play-package-names", proven: leakPackage,
			title: "Key of another service account",
			says: []string{"app weather (android): mos.portal holds key 0a0a0a0a… of another service account (client email " + teamAEmail + ")",
				"this run's key 4f1c2d3e… belongs to client email " + leakEmail, "nothing was written",
				"give the app's package name in play-package-names, or check the workflow's matrix entry"},
			heldID: teamAPlayID, newID: leakPlayKey,
			notice: "Key " + teamAPlayID + " is of another service account: once releases work with the new key, and only if no other app uses it, delete the old key",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newLeakWorld(t, keys)
			tc.preload(w)
			held := tc.held(w)
			in := tc.inputs(w)
			delete(in, tc.proof)
			secrets := []string{in["mos-token"], in["asc-key"], in["play-service-account"]}

			for _, mode := range []string{"sync", "force"} {
				in["mode"] = mode
				out := runMain(t, nil, in)
				assertNothingLeaks(t, out, keys.ecPEM, secrets...)
				if out.code != 1 {
					t.Fatalf("%s without %s: exit %d, want 1\n%s", mode, tc.proof, out.code, out.stdout)
				}
				line := regexp.MustCompile(`(?m)^::error title=` + regexp.QuoteMeta(tc.title) + `::.*$`).FindString(out.stdout)
				if line == "" {
					t.Fatalf("%s: no %q error:\n%s", mode, tc.title, out.stdout)
				}
				for _, s := range tc.says {
					if !strings.Contains(line, s) {
						t.Errorf("%s: the error does not say %q: %s", mode, s, line)
					}
				}
				// The row has the first sentence of the annotation.
				msg := strings.TrimPrefix(line[strings.Index(line, "::app ")+2:], "app weather ("+tc.platform+"): ")
				lead := msg[:strings.Index(msg, "nothing was written.")+len("nothing was written.")]
				wantResult(t, mode, out, action.Result{Platform: tc.platform, App: leakApp, Status: "failed", HeldKeyID: tc.heldID, Error: lead})
				if got := tc.held(w); got != held {
					t.Errorf("%s: mos.portal changed from %+v to %+v", mode, held, got)
				}
				if n := w.portal.Requests("PUT", leakProject, leakApp, tc.platform); n != 0 {
					t.Errorf("%s: %d uploads reached mos.portal, want none", mode, n)
				}
				t.Logf("%s without %s, as a user sees it:\n%s\nresults=%s", mode, tc.proof, line, out.outputs["results"])
			}

			in["mode"], in[tc.proof] = "sync", tc.proven
			out := runMain(t, nil, in)
			assertNothingLeaks(t, out, keys.ecPEM, secrets...)
			if out.code != 0 {
				t.Fatalf("sync with %s: exit %d, want 0\n%s", tc.proof, out.code, out.stdout)
			}
			wantResult(t, "proven sync", out, action.Result{Platform: tc.platform, App: leakApp, Status: "uploaded", HeldKeyID: tc.newID, PreviousKeyID: tc.heldID})
			if !strings.Contains(out.stdout, tc.notice) {
				t.Errorf("proven sync: no notice saying %q:\n%s", tc.notice, out.stdout)
			}
		})
	}
}
