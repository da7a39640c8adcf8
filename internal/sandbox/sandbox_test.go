package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemoEndsAsExpected runs the README's sandbox command: every scenario
// must end as it says, and the log must show what a runner shows, with no
// workflow command left raw and no secret unmasked.
func TestDemoEndsAsExpected(t *testing.T) {
	t.Parallel()

	var out bytes.Buffer
	if err := Main(t.Context(), nil, &out); err != nil {
		t.Fatalf("sandbox: %v\n%s", err, out.String())
	}
	log := out.String()
	if !strings.Contains(log, "All scenarios ended as expected.") {
		t.Errorf("the sandbox did not confirm its scenarios:\n%s", log)
	}
	if strings.Contains(log, "::add-mask::") || strings.Contains(log, "::error") {
		t.Errorf("raw workflow commands in the sandbox log:\n%s", log)
	}
	if !strings.Contains(log, "Error [App Store Connect rejected the key (401 NOT_AUTHORIZED)]") {
		t.Errorf("the rejected-key scenario is not shown as an annotated error:\n%s", log)
	}
	if !strings.Contains(log, "Error [Individual API key, not a team key]: Key INDIVKEY42 is an individual API key") {
		t.Errorf("the individual-key scenario is not shown as an annotated error naming the key's kind:\n%s", log)
	}
	if !regexp.MustCompile(`(?m)^Error \[Runner's clock is off\]: The runner's clock is (10 min 0 s|9 min 59 s) behind App Store Connect's .*was not judged`).MatchString(log) {
		t.Errorf("the clock scenario is not shown as an annotated error naming the offset:\n%s", log)
	}
	agreement := regexp.MustCompile(`(?m)^Error \[App Store Connect agreement not accepted \(403 FORBIDDEN\.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED\)\]: .*Account Holder.*$`).FindString(log)
	if agreement == "" {
		t.Errorf("the agreement scenario is not shown as an annotated error naming the Account Holder:\n%s", log)
	}
	if strings.Contains(agreement, "role") {
		t.Errorf("the agreement error blames the key's role: %s", agreement)
	}
	if !regexp.MustCompile(`(?m)^Error \[App Store Connect key drift in mos\.portal\]: app sports \(ios\): .*Issuer ID 69a6de7f-0c5e-47e3-e053-5b8c7c11a41d in mos\.portal, 69a6de7f-0c5e-47e3-e053-5b8c7c11a4d1 in the inputs`).MatchString(log) {
		t.Errorf("the Issuer ID drift is not shown as an annotated error naming both Issuer IDs:\n%s", log)
	}
	if !regexp.MustCompile(`(?m)^Error \[Key of another team\]: mos\.portal holds key SANDBX2KEY of another team \(Issuer ID 69a6de7f…\), ` +
		`and this run's key GLOBEXKEY1 belongs to Issuer ID 0b1e4c7a…, so nothing was written\. .*give the app's bundle ID in asc-bundle-ids.*` +
		`Apps affected \(3\): weather, news, sports \(ios\)\.$`).MatchString(log) {
		t.Errorf("the swapped team key is not refused with one annotated error naming both teams and the apps:\n%s", log)
	}
	if !regexp.MustCompile(`(?m)^Notice \[Corrected App Store Connect key SANDBX2KEY in mos\.portal\]: .*Do not revoke key SANDBX2KEY`).MatchString(log) {
		t.Errorf("correcting the Issuer ID is not a notice saying to keep the key in use:\n%s", log)
	}
	// Issue 14: the default Play check opens no edit; a key about to expire
	// warns; a deleted key is named as such.
	// The certificate list is read alongside the check, so its request may
	// come before or after the track read.
	if !regexp.MustCompile(`(?m)^     GET /androidpublisher/v3/applications/com\.acme\.weather/tracks/production/releases\n(     GET /robot/v1/metadata/x509/\S+\n)?── edits opened in this run: 0$`).MatchString(log) {
		t.Errorf("the read-only scenario does not show one track read and no edit:\n%s", log)
	}
	if !regexp.MustCompile(`(?m)^Warning \[Google Play key expires soon\]: Key \w+ of service account \S+ expires on \d{4}-\d\d-\d\d \(5 days left\).*Keys → Add key`).MatchString(log) {
		t.Errorf("the expiring-key scenario is not shown as a warning with the days left and what to do:\n%s", log)
	}
	if !regexp.MustCompile(`(?m)^Error \[Play key deleted or rotated\]: Google no longer publishes the certificate of key \w+: it was deleted or disabled in Google Cloud`).MatchString(log) {
		t.Errorf("the deleted-key scenario is not shown with the precise error:\n%s", log)
	}
}

// TestServeWritesConnectionFiles checks the files the container test reads.
func TestServeWritesConnectionFiles(t *testing.T) {
	t.Parallel()

	dir := t.TempDir()
	// What an earlier run left: a script must not read its dead port.
	const stale = "http://127.0.0.1:1"
	for _, name := range []string{"ready", "requests", "asc-api-url", "mos-url"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(stale), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Main(ctx, []string{"-serve", "-dir", dir}, pw)
		pw.CloseWithError(err)
		done <- err
	}()

	// serve announces itself once every file is written.
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "stand-ins ready") {
		t.Fatalf("serve said %q, %v; want the ready line", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if _, err := os.Stat(filepath.Join(dir, "ready")); err != nil {
		t.Errorf("no ready file: %v", err)
	}
	for _, name := range []string{"asc-api-url", "mos-url", "play-api-url", "asc-key.p8", "asc-key-id", "asc-issuer-id", "mos-token", "mos-project", "mos-apps", "play-service-account.json"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 || string(b) == stale {
			t.Errorf("file %s: %v (%q)", name, err, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "requests")); err == nil {
		t.Error("the requests file of an earlier run is still there while serving")
	}

	// One unauthenticated request each to App Store Connect and mos.portal,
	// none to Google: the counts written at the end must say so.
	client := &http.Client{Timeout: 10 * time.Second}
	for _, name := range []string{"asc-api-url", "mos-url"} {
		base, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := client.Get(string(base) + "/v1/apps")
		if err != nil {
			t.Fatalf("GET %s: %v", name, err)
		}
		_ = resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "requests"))
	if err != nil {
		t.Fatalf("no requests file after serve ended: %v", err)
	}
	if want := "app-store-connect 1\nmos-portal 1\ngoogle 0\n"; string(got) != want {
		t.Errorf("requests file:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ready")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ready is still there after serve ended: %v", err)
	}
}

func TestHelpPrintsUsage(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help"} {
		var out bytes.Buffer
		if err := Main(t.Context(), []string{arg}, &out); err != nil {
			t.Errorf("sandbox %s: %v", arg, err)
		}
		if !strings.Contains(out.String(), "Usage: publisher-keys sandbox") || !strings.Contains(out.String(), "-serve") {
			t.Errorf("sandbox %s printed:\n%s", arg, out.String())
		}
	}
}
