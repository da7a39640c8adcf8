package action_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// The team guard end to end: mos.portal apps weather and news hold team A's
// key, sports none, and a workflow runs with a valid key of team B (a
// swapped matrix entry). Nothing of team A's may be replaced unless the run
// proves its key serves the apps.

const (
	issuerB    = "0ddba11a-5eed-4b0b-9c1e-0123456789ab"
	bundleB    = "com.globex.shop"
	playEmailB = "publisher@globex-play.iam.gserviceaccount.com"
)

// teamB makes the run's key (TESTKEY001) a key of team B, which sees its
// own app only, and gives weather and news team A's key (TESTKEY002).
func teamB(t *testing.T, w *world) {
	t.Helper()
	w.asc.AddKey(ascstandin.Key{KeyID: keyID, IssuerID: issuerB, Public: &w.key.PublicKey, Role: ascstandin.RoleAppManager})
	w.asc.AddApp(ascstandin.App{ID: "9", BundleID: bundleB, Name: "Shop", IssuerID: issuerB})
	w.preload(t, "weather", 30)
	w.preload(t, "news", 30)
}

func iosRecords(w *world) map[string]portalstandin.IOSRecord {
	recs := map[string]portalstandin.IOSRecord{}
	for _, app := range apps {
		recs[app], _ = w.portal.IOSKey(project, app)
	}
	return recs
}

func TestTeamGuardApple(t *testing.T) {
	t.Parallel()

	for _, mode := range []string{"sync", "force"} {
		t.Run("team B's key is refused on team A's apps in "+mode+" mode", func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			teamB(t, w)
			before := iosRecords(w)

			r := w.run(t, w.inputs(map[string]string{"asc-issuer-id": issuerB, "mode": mode}))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed\n%s", r.err, r.stdout)
			}
			// The rows keep the first sentence; weather and news still hold
			// team A's key.
			want := []action.Result{
				{Platform: "ios", App: "weather", Status: "failed", HeldKeyID: oldKeyID, Error: refusedLead},
				{Platform: "ios", App: "news", Status: "failed", HeldKeyID: oldKeyID, Error: refusedLead},
				{Platform: "ios", App: "sports", Status: "uploaded", HeldKeyID: keyID}, // its first key
			}
			if diff := cmp.Diff(want, r.results(t)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			var refused []string
			for _, a := range annotationsOf(r.stdout) {
				if a.level == "error" && a.title == "Key of another team" {
					refused = append(refused, a.msg)
				}
			}
			// One cause: one annotation naming both apps.
			if want := []string{refusedText + " Apps affected (2): weather, news (ios)."}; !slices.Equal(refused, want) {
				t.Errorf("\"Key of another team\" errors:\n%q\nwant one for weather and news:\n%q\n%s", refused, want, r.stdout)
			}
			expectOutputs(t, r, map[string]string{"valid": "true", "uploaded": "true", "asc-previous-key-id": ""})
			for _, app := range []string{"weather", "news"} {
				if n := w.portal.Requests("PUT", project, app, portalstandin.IOS); n != 0 {
					t.Errorf("%d PUTs reached app %s, want none", n, app)
				}
				if got, _ := w.portal.IOSKey(project, app); got != before[app] {
					t.Errorf("mos.portal app %s changed to key %s of %s; it must keep team A's key", app, got.KeyID, got.IssuerID)
				}
			}
			if len(titles(r, "notice")) != 0 {
				t.Errorf("notices %q, want none: nothing was replaced", titles(r, "notice"))
			}
		})
	}

	t.Run("team B's key proven by asc-bundle-ids replaces team A's key", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		teamB(t, w)

		r := w.run(t, w.inputs(map[string]string{"asc-issuer-id": issuerB, "asc-bundle-ids": bundleB}))
		if r.err != nil {
			t.Fatalf("error = %v\n%s", r.err, r.stdout)
		}
		if diff := cmp.Diff(map[string]string{"ios/weather": "uploaded", "ios/news": "uploaded", "ios/sports": "uploaded"}, r.statuses(t)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		expectOutputs(t, r, map[string]string{"uploaded": "true", "asc-previous-key-id": oldKeyID})
		for _, app := range apps {
			if got, _ := w.portal.IOSKey(project, app); got.KeyID != keyID || got.IssuerID != issuerB {
				t.Errorf("mos.portal app %s holds key %s of %s, want %s of %s", app, got.KeyID, got.IssuerID, keyID, issuerB)
			}
		}
		a, ok := find(r, "notice", "Replaced App Store Connect key "+oldKeyID)
		if !ok {
			t.Fatalf("no notice of the replaced key:\n%s", r.stdout)
		}
		for _, s := range []string{"weather, news", "Issuer ID c0ffee00… in mos.portal, 0ddba11a… in the inputs",
			"Key " + oldKeyID + " is of another team", "only if no other app uses it, revoke the old key in App Store Connect"} {
			if !strings.Contains(a.msg, s) {
				t.Errorf("the notice lacks %q: %s", s, a.msg)
			}
		}
	})

	t.Run("check mode reports team A's key as drift of another team", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		teamB(t, w)

		r := w.run(t, w.inputs(map[string]string{"asc-issuer-id": issuerB, "mos-apps": "weather", "mode": "check"}))
		if !errors.Is(r.err, action.ErrFailed) {
			t.Fatalf("error = %v, want ErrFailed for drift\n%s", r.err, r.stdout)
		}
		// The row says what mos.portal holds, and that nothing was replaced.
		wantRow := "mos.portal holds key " + oldKeyID + " of another team (Issuer ID c0ffee00…)"
		wantErr := wantRow + ", not the checked key " + keyID +
			" of Issuer ID 0ddba11a…. To replace it, run this action with mode: sync once the new key is proven to see the app: " +
			"give the app's bundle ID in asc-bundle-ids; or check the workflow's matrix entry."
		want := []action.Result{{Platform: "ios", App: "weather", Status: "drift", HeldKeyID: oldKeyID, Error: wantRow}}
		if diff := cmp.Diff(want, r.results(t)); diff != "" {
			t.Errorf("results (-want +got):\n%s", diff)
		}
		if a, ok := find(r, "error", "App Store Connect key drift in mos.portal"); !ok || a.msg != "app weather (ios): "+wantErr {
			t.Errorf("drift error = %q, want it to say the same", a.msg)
		}
		if n := w.portal.Faults().RequestsTo("PUT", "/"); n != 0 {
			t.Errorf("check mode sent %d PUTs", n)
		}
	})
}

// refusedLead and refusedText say why team B's key was not written to an
// app holding team A's key: the first sentence, and all of it.
const (
	refusedLead = "mos.portal holds key " + oldKeyID + " of another team (Issuer ID c0ffee00…), and this run's key " + keyID +
		" belongs to Issuer ID 0ddba11a…, so nothing was written."
	refusedText = refusedLead + " The new key must first be proven to see the app: " +
		"give the app's bundle ID in asc-bundle-ids, or check the workflow's matrix entry."
)

// preloadPlayOf stores in app the old Play key as a key of service account
// email, uploaded 30 days ago.
func (p *world) preloadPlayOf(t *testing.T, app, email string) {
	t.Helper()
	p.preloadPlay(t, app, 30)
	rec, _ := p.portal.AndroidKey(project, app)
	rec.ClientEmail = email
	p.portal.SetAndroidKey(project, app, rec)
}

func TestTeamGuardPlay(t *testing.T) {
	t.Parallel()

	for _, mode := range []string{"sync", "force"} {
		t.Run("another service account's key is refused in "+mode+" mode", func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.preloadPlayOf(t, "weather", playEmailB)
			p.preloadPlay(t, "news", 30) // the same service account's old key: a rotation
			held, _ := p.portal.AndroidKey(project, "weather")

			r := p.run(t, p.playInputs(map[string]string{"play-package-names": "", "mode": mode}))
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed\n%s", r.err, r.stdout)
			}
			wantLead := "mos.portal holds key a1b2c3d4… of another service account (client email " + playEmailB + "), and this run's key 3f2e1d0c… " +
				"belongs to client email " + playEmail + ", so nothing was written."
			wantErr := wantLead + " The new key must first be proven to reach the app: " +
				"give the app's package name in play-package-names, or check the workflow's matrix entry."
			want := []action.Result{
				{Platform: "android", App: "weather", Status: "failed", HeldKeyID: playOldKeyID, Error: wantLead},
				{Platform: "android", App: "news", Status: "uploaded", HeldKeyID: playKeyID, PreviousKeyID: playOldKeyID},
				{Platform: "android", App: "sports", Status: "uploaded", HeldKeyID: playKeyID},
			}
			if diff := cmp.Diff(want, r.results(t)); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			if a, ok := find(r, "error", "Key of another service account"); !ok || a.msg != "app weather (android): "+wantErr {
				t.Errorf("error %q, want the refusal of weather\n%s", a.msg, r.stdout)
			}
			if n := p.portal.Requests("PUT", project, "weather", portalstandin.Android); n != 0 {
				t.Errorf("%d PUTs reached app weather, want none", n)
			}
			if got, _ := p.portal.AndroidKey(project, "weather"); got != held {
				t.Errorf("mos.portal app weather changed to key %s of %s", got.PrivateKeyID, got.ClientEmail)
			}
			// news was a plain rotation: the plain reminder.
			if a, ok := find(r, "notice", "Replaced Google Play key "+playOldKeyID); !ok || strings.Contains(a.msg, "only if") ||
				!strings.Contains(a.msg, "Once releases work with the new key, delete the old key") {
				t.Errorf("rotation notice = %q, want the plain reminder", a.msg)
			}
		})
	}

	t.Run("another service account's key is replaced when play-package-names proves the key", func(t *testing.T) {
		t.Parallel()
		p := setup(t)
		p.preloadPlayOf(t, "weather", playEmailB)

		r := p.run(t, p.playInputs(nil))
		if r.err != nil {
			t.Fatalf("error = %v\n%s", r.err, r.stdout)
		}
		if diff := cmp.Diff(map[string]string{"android/weather": "uploaded", "android/news": "uploaded", "android/sports": "uploaded"}, r.statuses(t)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		expectOutputs(t, r, map[string]string{"play-previous-key-id": playOldKeyID})
		p.assertUploaded(t, "weather")
		a, ok := find(r, "notice", "Replaced Google Play key "+playOldKeyID)
		if !ok {
			t.Fatalf("no notice of the replaced key:\n%s", r.stdout)
		}
		for _, s := range []string{"Key " + playOldKeyID + " is of another service account", "only if no other app uses it, delete the old key in Google Cloud"} {
			if !strings.Contains(a.msg, s) {
				t.Errorf("the notice lacks %q: %s", s, a.msg)
			}
		}
	})
}
