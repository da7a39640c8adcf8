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

// The agency's bundle IDs: team B's app (issuerB) is one team A's key (the
// harness key) cannot see.
const (
	bundleWeather = "com.acme.weather"
	bundleNews    = "com.acme.news"
	bundleOther   = "com.other.sports"
	pkgOnly       = "com.acme.maps"
)

// agencyRecords gives the harness apps records: weather and news are team A's
// (the key's), sports is team B's, and maps is built for Android only.
func agencyRecords(t *testing.T, w *world) {
	t.Helper()
	w.asc.AddApp(ascstandin.App{ID: "3", BundleID: bundleOther, Name: "Sports", IssuerID: issuerB})
	w.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "weather", BundleID: bundleWeather})
	w.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "news", BundleID: bundleNews})
	w.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "sports", BundleID: bundleOther})
	w.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "maps", PackageName: pkgOnly})
}

func keyRequests(w *world, method string) int {
	return w.portal.Faults().RequestsWith(method, "/publisher/")
}

// TestAllAppsTwoTeams: mos-apps "*" with team A's key uploads to A's apps,
// skips B's (no annotation, not a failure) and leaves out the app not
// built for iOS; one App Store Connect request checks every bundle ID.
func TestAllAppsTwoTeams(t *testing.T) {
	t.Parallel()
	w := setup(t)
	agencyRecords(t, w)
	w.preload(t, "sports", 10) // team B's key, held by B's app

	r := w.run(t, w.inputs(map[string]string{"mos-apps": "*"}))
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.stdout)
	}
	want := []action.Result{
		{Platform: "ios", App: "news", Status: "uploaded", HeldKeyID: keyID},
		{Platform: "ios", App: "sports", Status: "skipped", Error: "bundle ID com.other.sports is not visible to key TESTKEY001: another team's app, left as it is"},
		{Platform: "ios", App: "weather", Status: "uploaded", HeldKeyID: keyID},
	}
	if diff := cmp.Diff(want, r.results(t)); diff != "" {
		t.Errorf("results (-want +got):\n%s\nlog:\n%s", diff, r.stdout)
	}
	if got := titles(r, "error"); len(got) != 0 {
		t.Errorf("error annotations %q, want none", got)
	}
	if n := w.asc.Requests(); n != 1 {
		t.Errorf("App Store Connect saw %d requests, want 1", n)
	}
	if n := w.portal.Requests("PUT", project, "sports", portalstandin.IOS); n != 0 {
		t.Errorf("team B's app saw %d uploads, want none", n)
	}
	if n := w.portal.Requests("", project, "maps", portalstandin.IOS); n != 0 {
		t.Errorf("the Android-only app saw %d iOS key requests, want none", n)
	}
	if r.outputs["valid"] != "true" {
		t.Errorf("valid=%q, want true", r.outputs["valid"])
	}
	if !strings.Contains(r.summary, "#### Other teams' apps") || !strings.Contains(r.summary, "| sports | ⏭️ skipped |") {
		t.Errorf("the summary does not list sports under Other teams' apps:\n%s", r.summary)
	}
	t.Logf("results: %s", r.outputs["results"])
}

// TestNamedAppNotVisible: an app named in mos-apps whose bundle ID (from
// its record) the key cannot see fails alone, before any write; the key
// stays valid and the other apps are synced.
func TestNamedAppNotVisible(t *testing.T) {
	t.Parallel()
	w := setup(t)
	agencyRecords(t, w)

	r := w.run(t, w.inputs(nil))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed", r.err)
	}
	got := r.statuses(t)
	if diff := cmp.Diff(map[string]string{"ios/weather": "uploaded", "ios/news": "uploaded", "ios/sports": "failed"}, got); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"App not visible to the App Store Connect key"}, titles(r, "error")); diff != "" {
		t.Errorf("error titles (-want +got):\n%s\n%s", diff, r.stdout)
	}
	for _, s := range []string{"app sports (ios): app sports is bundle ID com.other.sports in mos.portal", "key TESTKEY001", "Issuer ID " + issuer} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("the log does not say %q:\n%s", s, r.stdout)
		}
	}
	if n := w.portal.Requests("", project, "sports", portalstandin.IOS); n != 0 {
		t.Errorf("the refused app saw %d key requests, want none", n)
	}
	if r.outputs["valid"] != "true" {
		t.Errorf("valid=%q, want true: the key works", r.outputs["valid"])
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "::error") {
			t.Logf("annotation: %s", line)
		}
	}
	for _, res := range r.results(t) {
		if res.App == "sports" {
			t.Logf("results row: %+v", res)
		}
	}
}

// TestNamedAppRecordProvesTheKey: an app whose record's bundle ID the key
// sees is proven by it, so the team guard lets the key replace another
// team's key there without asc-bundle-ids.
func TestNamedAppRecordProvesTheKey(t *testing.T) {
	t.Parallel()
	w := setup(t)
	agencyRecords(t, w)
	fp, err := portalstandin.Fingerprint(&w.old.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	// Team B's key: another owner and another fingerprint.
	w.portal.SetIOSKey(project, "news", portalstandin.IOSRecord{KeyID: oldKeyID, IssuerID: issuerB, Fingerprint: fp, PrivateKey: w.oldPEM})

	r := w.run(t, w.inputs(map[string]string{"mos-apps": "news"}))
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.stdout)
	}
	if got := r.statuses(t)["ios/news"]; got != "uploaded" {
		t.Errorf("news is %s, want uploaded", got)
	}
}

// TestNoAppRecords: a contract v1 portal: named apps work as before, with
// one line saying so; "*" fails before any write.
func TestNoAppRecords(t *testing.T) {
	t.Parallel()
	t.Run("named apps", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		w.portal.SetNoAppRecords(true)
		r := w.run(t, w.inputs(nil))
		if r.err != nil {
			t.Fatalf("run failed: %v\n%s", r.err, r.stdout)
		}
		const line = "mos.portal keeps no app records (contract v1.1): the bundle IDs of the apps are not checked"
		if n := strings.Count(r.stdout, line); n != 1 {
			t.Errorf("the log says %q %d times, want once:\n%s", line, n, r.stdout)
		}
		if diff := cmp.Diff(map[string]string{"ios/weather": "uploaded", "ios/news": "uploaded", "ios/sports": "uploaded"}, r.statuses(t)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
	t.Run("all apps", func(t *testing.T) {
		t.Parallel()
		w := setup(t)
		w.portal.SetNoAppRecords(true)
		r := w.run(t, w.inputs(map[string]string{"mos-apps": "*"}))
		if !errors.Is(r.err, action.ErrFailed) {
			t.Fatalf("error = %v, want ErrFailed", r.err)
		}
		if diff := cmp.Diff([]string{"mos.portal keeps no app records"}, titles(r, "error")); diff != "" {
			t.Errorf("error titles (-want +got):\n%s", diff)
		}
		if n := keyRequests(w, ""); n != 0 {
			t.Errorf("mos.portal saw %d key requests, want none", n)
		}
		if r.outputs["results"] != "[]" {
			t.Errorf("results = %s, want []", r.outputs["results"])
		}
	})
}

// TestAppRecordsUnreadable: a records read that fails (a refused token)
// is one annotation; every named app fails with that reason and nothing
// is written, while the key is still checked.
func TestAppRecordsUnreadable(t *testing.T) {
	t.Parallel()
	for _, allApps := range []bool{false, true} {
		name := "named apps"
		if allApps {
			name = "all apps"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			agencyRecords(t, w)
			in := w.inputs(map[string]string{"mos-token": "mos_wrong_token_00000000"})
			if allApps {
				in["mos-apps"] = "*"
			}
			r := w.run(t, in)
			if !errors.Is(r.err, action.ErrFailed) {
				t.Fatalf("error = %v, want ErrFailed", r.err)
			}
			if diff := cmp.Diff([]string{"mos.portal rejected the token"}, titles(r, "error")); diff != "" {
				t.Errorf("error titles (-want +got):\n%s\n%s", diff, r.stdout)
			}
			if n := keyRequests(w, ""); n != 0 {
				t.Errorf("mos.portal saw %d key requests, want none", n)
			}
			if n := w.asc.Requests(); n != 1 {
				t.Errorf("App Store Connect saw %d requests, want 1: the key is still checked", n)
			}
			if r.outputs["valid"] != "true" {
				t.Errorf("valid=%q, want true", r.outputs["valid"])
			}
			rows := r.results(t)
			if allApps {
				if len(rows) != 0 {
					t.Errorf("results %+v, want none: no app is known", rows)
				}
				return
			}
			if len(rows) != 3 {
				t.Fatalf("results %+v, want a row per app", rows)
			}
			for _, res := range rows {
				if res.Status != "failed" || res.Error != "mos.portal rejected the token (401 unauthorized: missing or invalid bearer token)." {
					t.Errorf("row %+v, want failed with the records' reason", res)
				}
			}
			if !strings.Contains(r.stdout, "Apps affected (3): weather, news, sports") {
				t.Errorf("the annotation does not name the apps:\n%s", r.stdout)
			}
		})
	}
}

func TestAllAppsMixedWithNames(t *testing.T) {
	t.Parallel()
	w := setup(t)
	r := w.run(t, w.inputs(map[string]string{"mos-apps": "*\nweather"}))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed", r.err)
	}
	if diff := cmp.Diff([]string{"Invalid input mos-apps"}, titles(r, "error")); diff != "" {
		t.Errorf("error titles (-want +got):\n%s", diff)
	}
	if n := w.asc.Requests() + w.portal.Faults().Requests(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// TestAllAppsPlay: the Play key under "*": its apps' packages are checked
// read-only, also with play-check: edit; a package it cannot see is
// another service account's app, skipped.
func TestAllAppsPlay(t *testing.T) {
	t.Parallel()
	p := setup(t)
	p.google.AddPackage("com.other.news") // no access for the key's service account
	p.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "weather", PackageName: pkgWeather})
	p.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "news", PackageName: "com.other.news"})
	p.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "sports", BundleID: bundleOther})

	r := p.run(t, p.playInputs(map[string]string{"mos-apps": "*", "play-package-names": "", "play-check": "edit"}))
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.stdout)
	}
	if diff := cmp.Diff(map[string]string{"android/weather": "uploaded", "android/news": "skipped"}, r.statuses(t)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s\n%s", diff, r.stdout)
	}
	if n := p.google.Faults().RequestsTo("POST", "/androidpublisher/"); n != 0 {
		t.Errorf("%d edits opened, want none: the apps' packages are checked read-only", n)
	}
	if r.outputs["play-valid"] != "true" {
		t.Errorf("play-valid=%q, want true", r.outputs["play-valid"])
	}
}

// TestAllAppsNoneVisible: under "*", a key that sees none of the project's
// apps skips them all; a warning says so, as an agreement not accepted
// looks just like this.
func TestAllAppsNoneVisible(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "sports", BundleID: bundleOther})
	r := w.run(t, w.inputs(map[string]string{"mos-apps": "*"}))
	if r.err != nil {
		t.Fatalf("run failed: %v\n%s", r.err, r.stdout)
	}
	if diff := cmp.Diff([]string{"No app of the project visible to the App Store Connect key"}, titles(r, "warning")); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"ios/sports": "skipped"}, r.statuses(t)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
}

// TestNamedPackageNotVisible: a named app whose package (from its record)
// the Play key cannot see fails alone with Google's answer; play-valid
// stays true.
func TestNamedPackageNotVisible(t *testing.T) {
	t.Parallel()
	p := setup(t)
	p.google.AddPackage("com.other.news")
	p.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "weather", PackageName: pkgWeather})
	p.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "news", PackageName: "com.other.news"})

	r := p.run(t, p.playInputs(map[string]string{"mos-apps": "weather,news", "play-package-names": ""}))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed", r.err)
	}
	if diff := cmp.Diff(map[string]string{"android/weather": "uploaded", "android/news": "failed"}, r.statuses(t)); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"App not visible to the Google Play key"}, titles(r, "error")); diff != "" {
		t.Errorf("error titles (-want +got):\n%s\n%s", diff, r.stdout)
	}
	if !strings.Contains(r.stdout, "which Google Play service account "+playEmail) {
		t.Errorf("the refusal does not name the service account:\n%s", r.stdout)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.HasPrefix(line, "::error") {
			t.Logf("annotation: %s", line)
		}
	}
	if n := p.portal.Requests("PUT", project, "news", portalstandin.Android); n != 0 {
		t.Errorf("news saw %d uploads, want none", n)
	}
	if r.outputs["play-valid"] != "true" {
		t.Errorf("play-valid=%q, want true", r.outputs["play-valid"])
	}
}

// TestAppRecordsUnreadableKeyFailed: the records cannot be read and the key
// fails its check too: both causes are said, once each.
func TestAppRecordsUnreadableKeyFailed(t *testing.T) {
	t.Parallel()
	w := setup(t)
	w.asc.RevokeKey(keyID)
	r := w.run(t, w.inputs(map[string]string{"mos-token": "mos_wrong_token_00000000"}))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("error = %v, want ErrFailed", r.err)
	}
	titles := titles(r, "error")
	if len(titles) != 2 || !slices.Contains(titles, "mos.portal rejected the token") {
		t.Errorf("error titles %q, want the key's and the token's, once each\n%s", titles, r.stdout)
	}
	if r.outputs["valid"] != "false" {
		t.Errorf("valid=%q, want false", r.outputs["valid"])
	}
}
