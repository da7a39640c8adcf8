package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// scenario is one workflow run of the demo and what it must end with.
type scenario struct {
	title string
	in    inputs
	setup func()
	// cleanup puts the world back for the next scenario.
	cleanup func()
	wantErr bool
	// want checks the outputs; it returns what differs from the expectation.
	want func(out map[string]string) error
	// summary prints the step summary after the log.
	summary bool
	// show, if set, prints what the stand-ins saw of the run.
	show func(stdout io.Writer)
}

// demo runs the scenarios one after another against one world, so each
// starts from what the previous one left in mos.portal.
func (w *world) demo(ctx context.Context, stdout io.Writer) error {
	fmt.Fprintf(stdout, "Sandbox: App Store Connect stand-in at %s, mos.portal stand-in at %s, Google stand-in at %s.\n", w.ascURL, w.mosURL, w.googleURL)
	fmt.Fprintf(stdout, "A throwaway App Store Connect team key %s was generated and registered; mos.portal project %q has apps %s,\n", keyID, project, strings.Join(apps, ", "))
	fmt.Fprintf(stdout, "and app \"news\" still holds key %s, uploaded by hand 120 days ago. A second team, Globex, has key %s and app %s;\n", oldKeyID, globexKeyID, globexApp)
	fmt.Fprintf(stdout, "mos.portal project %q holds the apps of both teams, with their bundle IDs (app records).\n", agencyProject)
	fmt.Fprintf(stdout, "Each scenario is one workflow run of the action.\n")

	var failures []string
	for i, sc := range w.scenarios() {
		fmt.Fprintf(stdout, "\n━━━ Scenario %d: %s ━━━\n", i+1, sc.title)
		if sc.setup != nil {
			sc.setup()
		}
		out, summary, err := w.runAction(ctx, stdout, sc.in)
		w.asc.Faults().Clear()
		w.portal.Faults().Clear()
		if sc.cleanup != nil {
			sc.cleanup()
		}

		fmt.Fprintf(stdout, "── exit: %s\n", exitText(err))
		fmt.Fprintf(stdout, "── outputs: valid=%s uploaded=%s asc-fingerprint=%s asc-previous-key-id=%s asc-key-age-days=%s play-valid=%s\n",
			out["valid"], out["uploaded"], out["asc-fingerprint"], out["asc-previous-key-id"], out["asc-key-age-days"], out["play-valid"])
		fmt.Fprintf(stdout, "── results: %s\n", out["results"])
		if out["play-key-created-at"] != "" || out["play-key-expires-at"] != "" {
			fmt.Fprintf(stdout, "── outputs: play-key-created-at=%s play-key-expires-at=%s\n", out["play-key-created-at"], out["play-key-expires-at"])
		}
		if sc.summary {
			fmt.Fprintf(stdout, "── step summary (markdown):\n%s", summary)
		}
		if sc.show != nil {
			sc.show(stdout)
		}

		problem := ""
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case sc.wantErr && err == nil:
			problem = "the run succeeded but should have failed"
		case !sc.wantErr && err != nil:
			problem = "the run failed but should have succeeded"
		case sc.want != nil:
			if err := sc.want(out); err != nil {
				problem = err.Error()
			}
		}
		if problem != "" {
			fmt.Fprintf(stdout, "── UNEXPECTED: %s\n", problem)
			failures = append(failures, fmt.Sprintf("scenario %d (%s): %s", i+1, sc.title, problem))
		} else {
			fmt.Fprintf(stdout, "── as expected\n")
		}
	}
	if len(failures) > 0 {
		return fmt.Errorf("the sandbox found %d unexpected outcomes:\n%s", len(failures), strings.Join(failures, "\n"))
	}
	fmt.Fprintf(stdout, "\nAll scenarios ended as expected.\n")
	return nil
}

func exitText(err error) string {
	if err == nil {
		return "0 (success)"
	}
	if errors.Is(err, action.ErrFailed) {
		return "1 (the step fails)"
	}
	return "1: " + err.Error()
}

func (w *world) scenarios() []scenario {
	with := func(extra inputs) inputs {
		in := w.baseInputs()
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	// playOnly is a run with the Play key alone, as a Play-only workflow has.
	playOnly := func(extra inputs) inputs {
		in := with(inputs{"play-service-account": w.playJSON, "play-package-names": playPkg, "play-api-url": w.googleURL})
		for _, name := range []string{"asc-key-id", "asc-issuer-id", "asc-api-url"} {
			delete(in, name)
		}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	var ascBefore, putsBefore int
	var portalBefore map[string]portalstandin.IOSRecord
	var googleLog []string
	var editsBefore, readsBefore int
	return []scenario{
		{
			title:   "first sync: the .p8 as downloaded, checked against App Store Connect and uploaded to three apps",
			in:      with(inputs{"asc-key": w.keyPEM, "asc-bundle-ids": teamAppA + "\n" + teamAppB}),
			summary: true,
			want: func(out map[string]string) error {
				return all(
					expect(out, "valid", "true"), expect(out, "uploaded", "true"),
					expect(out, "asc-previous-key-id", oldKeyID),
					expectResults(out, "ios", map[string]string{"weather": "uploaded", "news": "uploaded", "sports": "uploaded"}),
					w.portalHolds(keyID),
				)
			},
		},
		{
			title: "the next run, with the key stored as wrapped base64: same key, nothing written",
			in:    with(inputs{"asc-key": base64Wrapped(w.keyPEM)}),
			want: func(out map[string]string) error {
				return all(expect(out, "uploaded", "false"),
					expectResults(out, "ios", map[string]string{"weather": "unchanged", "news": "unchanged", "sports": "unchanged"}))
			},
		},
		{
			title: "the daily scheduled check with a 90-day age policy",
			in:    with(inputs{"asc-key": w.keyPEM, "mode": "check", "max-key-age": "90d"}),
			want: func(out map[string]string) error {
				return all(expect(out, "asc-key-age-days", "0"),
					expectResults(out, "ios", map[string]string{"weather": "in-sync", "news": "in-sync", "sports": "in-sync"}))
			},
		},
		{
			title: "a hand upload filed the key under a mistyped Issuer ID: the daily check reports drift and names the field",
			in:    with(inputs{"asc-key": w.keyPEM, "mode": "check"}),
			setup: func() {
				rec, _ := w.portal.IOSKey(project, "sports")
				rec.IssuerID = mistypedIssuerID
				w.portal.SetIOSKey(project, "sports", rec)
			},
			wantErr: true,
			want: func(out map[string]string) error {
				return all(expect(out, "uploaded", "false"), w.portalIssuer("sports", mistypedIssuerID),
					expectResults(out, "ios", map[string]string{"weather": "in-sync", "news": "in-sync", "sports": "drift"}))
			},
		},
		{
			title: "sync files the key under the right Issuer ID again, and does not ask you to revoke the key in use",
			in:    with(inputs{"asc-key": w.keyPEM}),
			want: func(out map[string]string) error {
				return all(expect(out, "uploaded", "true"), expect(out, "asc-previous-key-id", ""), w.portalIssuer("sports", issuerID),
					expectResults(out, "ios", map[string]string{"weather": "unchanged", "news": "unchanged", "sports": "uploaded"}))
			},
		},
		{
			title: "an agency's swapped matrix entry: team Globex's valid key, run against team Acme's apps without asc-bundle-ids, replaces nothing",
			in:    with(inputs{"asc-key": w.globexPEM, "asc-key-id": globexKeyID, "asc-issuer-id": globexIssuerID, "mode": "force"}),
			setup: func() {
				portalBefore = w.portalIOSKeys()
				putsBefore = w.portal.Faults().RequestsTo("PUT", "/")
			},
			wantErr: true,
			summary: true,
			want: func(out map[string]string) error {
				if n := w.portal.Faults().RequestsTo("PUT", "/") - putsBefore; n != 0 {
					return fmt.Errorf("%d uploads reached mos.portal", n)
				}
				return all(expect(out, "valid", "true"), expect(out, "uploaded", "false"), expect(out, "asc-previous-key-id", ""),
					w.portalUnchanged(portalBefore),
					expectResults(out, "ios", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
		{
			title: `an agency project of two teams, mos-apps "*" with team Acme's key: Acme's apps get it, Globex's app is skipped and untouched`,
			in:    with(inputs{"asc-key": w.keyPEM, "mos-project": agencyProject, "mos-apps": "*"}),
			setup: func() {
				putsBefore = w.portal.Faults().RequestsTo("PUT", "/")
				ascBefore = w.asc.Faults().Requests()
			},
			summary: true,
			want: func(out map[string]string) error {
				if n := w.portal.Faults().RequestsTo("PUT", "/") - putsBefore; n != 2 {
					return fmt.Errorf("%d uploads reached mos.portal, want 2 (Acme's apps)", n)
				}
				if n := w.asc.Faults().Requests() - ascBefore; n != 1 {
					return fmt.Errorf("%d requests reached App Store Connect, want 1", n)
				}
				if _, ok := w.portal.IOSKey(agencyProject, "globex-shop"); ok {
					return errors.New("Globex's app holds a key")
				}
				return all(expect(out, "valid", "true"), expect(out, "uploaded", "true"),
					expectResults(out, "ios", map[string]string{"acme-weather": "uploaded", "acme-news": "uploaded", "globex-shop": "skipped"}))
			},
		},
		{
			title:   "a key App Store Connect does not accept (revoked, or of another team) never reaches mos.portal",
			in:      with(inputs{"asc-key": w.roguePEM, "asc-key-id": otherID, "mode": "force"}),
			wantErr: true,
			want: func(out map[string]string) error {
				return all(expect(out, "valid", "false"), expect(out, "uploaded", "false"), w.portalHolds(keyID),
					expectResults(out, "ios", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
		{
			title:   "an individual API key (App Store Connect accepts it, but not as a team key) is named as such and never reaches mos.portal",
			in:      with(inputs{"asc-key": w.individualPEM, "asc-key-id": individualID, "mode": "force"}),
			wantErr: true,
			want: func(out map[string]string) error {
				return all(expect(out, "valid", "false"), expect(out, "uploaded", "false"), w.portalHolds(keyID),
					expectResults(out, "ios", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
		{
			title:   "the runner's clock is 10 minutes behind Apple's: the clock is named, and the key is not judged",
			in:      with(inputs{"asc-key": w.keyPEM, "asc-api-url": w.ascAheadURL, "mode": "force"}),
			wantErr: true,
			want: func(out map[string]string) error {
				return all(expect(out, "valid", "false"), expect(out, "uploaded", "false"), w.portalHolds(keyID),
					expectResults(out, "ios", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
		{
			title:   "a secret cut short when pasted is refused before any request; results lists each app failed",
			in:      with(inputs{"asc-key": w.keyPEM[:len(w.keyPEM)/2]}),
			setup:   func() { ascBefore = w.asc.Faults().Requests() },
			wantErr: true,
			summary: true,
			want: func(out map[string]string) error {
				if n := w.asc.Faults().Requests() - ascBefore; n != 0 {
					return fmt.Errorf("%d requests reached App Store Connect", n)
				}
				return all(expect(out, "valid", "false"), w.portalHolds(keyID),
					expectResults(out, "ios", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
		{
			title: "the morning Apple's updated agreement takes effect: the key is not blamed, and even force leaves mos.portal alone",
			in:    with(inputs{"asc-key": w.keyPEM, "asc-bundle-ids": teamAppA, "mode": "force"}),
			setup: func() {
				portalBefore = w.portalIOSKeys()
				w.asc.SetAgreement(issuerID, ascstandin.AgreementExpired)
			},
			cleanup: func() { w.asc.SetAgreement(issuerID, ascstandin.AgreementInEffect) },
			wantErr: true,
			summary: true,
			want: func(out map[string]string) error {
				return all(expect(out, "valid", "false"), expect(out, "uploaded", "false"), w.portalUnchanged(portalBefore),
					expectResults(out, "ios", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
		{
			title: "App Store Connect answers 503 twice, then works: retried within the timeout",
			in:    with(inputs{"asc-key": w.keyPEM}),
			setup: func() {
				w.asc.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503, Times: 2})
			},
			want: func(out map[string]string) error { return expect(out, "valid", "true") },
		},
		{
			title: "Google Play and App Store Connect in one run, each checked and synced on its own",
			in: with(inputs{
				"asc-key":              w.keyPEM,
				"play-service-account": w.playJSON,
				"play-package-names":   playPkg,
				"play-api-url":         w.googleURL,
			}),
			summary: true,
			want: func(out map[string]string) error {
				return all(expect(out, "valid", "true"), expect(out, "play-valid", "true"), expect(out, "uploaded", "true"),
					expectResults(out, "android", map[string]string{"weather": "uploaded", "news": "uploaded", "sports": "uploaded"}))
			},
		},
		{
			title: "the daily Play check (play-check: read, the default) reads the production track and opens no edit, so it cannot break a release mos.publisher is uploading",
			in:    playOnly(inputs{"mode": "check"}),
			setup: func() {
				googleLog = w.google.Faults().Log()
				editsBefore, readsBefore = w.google.EditsOpened(), w.google.ReleaseReads()
			},
			show: func(stdout io.Writer) {
				fmt.Fprintf(stdout, "── requests the Google stand-in received in this run:\n")
				for _, line := range w.google.Faults().Log()[len(googleLog):] {
					fmt.Fprintf(stdout, "     %s\n", line)
				}
				fmt.Fprintf(stdout, "── edits opened in this run: %d\n", w.google.EditsOpened()-editsBefore)
			},
			want: func(out map[string]string) error {
				var errs []error
				if n := w.google.EditsOpened() - editsBefore; n != 0 {
					errs = append(errs, fmt.Errorf("%d edits were opened, want none", n))
				}
				if n := w.google.ReleaseReads() - readsBefore; n != 1 {
					errs = append(errs, fmt.Errorf("%d track reads, want 1 (one per package)", n))
				}
				return all(append(errs, expect(out, "play-valid", "true"),
					expectResults(out, "android", map[string]string{"weather": "in-sync", "news": "in-sync", "sports": "in-sync"}))...)
			},
		},
		{
			title: "the Play key expires in 5 days (an organisation policy): a warning with the date and what to do, the sync still runs",
			in:    playOnly(nil),
			setup: func() {
				w.google.SetKeyValidity(playEmail, playKeyID, w.now().Add(-85*24*time.Hour).UTC().Truncate(time.Second), w.now().Add(5*24*time.Hour).UTC().Truncate(time.Second))
			},
			cleanup: func() {
				w.google.SetKeyValidity(playEmail, playKeyID, w.now().Add(-85*24*time.Hour).UTC().Truncate(time.Second), time.Time{})
			},
			want: func(out map[string]string) error {
				if out["play-key-expires-at"] == "" {
					return errors.New("output play-key-expires-at is empty")
				}
				return all(expect(out, "play-valid", "true"),
					expectResults(out, "android", map[string]string{"weather": "unchanged", "news": "unchanged", "sports": "unchanged"}))
			},
		},
		{
			title: "the Play key was deleted in Google Cloud: the error says so, rather than Google's bare invalid_grant",
			in:    playOnly(inputs{"mode": "check"}),
			setup: func() { w.google.DeleteKey(playEmail, playKeyID) },
			cleanup: func() {
				w.google.AddServiceAccount(playEmail, playKeyID, w.playPub, "123456789012")
			},
			wantErr: true,
			want: func(out map[string]string) error {
				return all(expect(out, "play-valid", "false"),
					expectResults(out, "android", map[string]string{"weather": "failed", "news": "failed", "sports": "failed"}))
			},
		},
	}
}

func all(errs ...error) error { return errors.Join(errs...) }

func expect(out map[string]string, name, want string) error {
	if got := out[name]; got != want {
		return fmt.Errorf("output %s is %q, want %q", name, got, want)
	}
	return nil
}

func expectResults(out map[string]string, platform string, want map[string]string) error {
	var results []action.Result
	if err := json.Unmarshal([]byte(out["results"]), &results); err != nil {
		return fmt.Errorf("output results is not a JSON array: %w", err)
	}
	got := map[string]string{}
	for _, r := range results {
		if r.Platform == platform {
			got[r.App] = r.Status
		}
	}
	var errs []error
	for app, status := range want {
		if got[app] != status {
			errs = append(errs, fmt.Errorf("app %s (%s) is %q, want %q", app, platform, got[app], status))
		}
	}
	return errors.Join(errs...)
}

// portalIOSKeys is what mos.portal holds for the apps' iOS keys.
func (w *world) portalIOSKeys() map[string]portalstandin.IOSRecord {
	recs := map[string]portalstandin.IOSRecord{}
	for _, app := range apps {
		recs[app], _ = w.portal.IOSKey(project, app)
	}
	return recs
}

// portalUnchanged checks that every app's iOS key is still the record it
// held before.
func (w *world) portalUnchanged(before map[string]portalstandin.IOSRecord) error {
	var changed []error
	for app, rec := range w.portalIOSKeys() {
		if rec != before[app] {
			changed = append(changed, fmt.Errorf("mos.portal app %s changed from key %s to %s", app, before[app].KeyID, rec.KeyID))
		}
	}
	return errors.Join(changed...)
}

// portalIssuer checks the Issuer ID mos.portal holds for app's iOS key.
func (w *world) portalIssuer(app, want string) error {
	if rec, _ := w.portal.IOSKey(project, app); rec.IssuerID != want {
		return fmt.Errorf("mos.portal app %s holds its key under Issuer ID %q, want %s", app, rec.IssuerID, want)
	}
	return nil
}

func (w *world) portalHolds(keyID string) error {
	var errs []error
	for _, app := range apps {
		rec, ok := w.portal.IOSKey(project, app)
		if !ok || rec.KeyID != keyID {
			errs = append(errs, fmt.Errorf("mos.portal app %s holds %q, want %s", app, rec.KeyID, keyID))
		}
	}
	return errors.Join(errs...)
}
