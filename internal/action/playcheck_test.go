package action_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
)

// The Play check's two modes (issue 14): read by default, edit on request,
// and the key's lifetime from Google's certificate list.

func TestPlayCheckInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, value      string
		wantReads, edits int
		wantInvalid      bool
	}{
		{name: "default: read", value: "", wantReads: 2},
		{name: "read", value: "read", wantReads: 2},
		{name: "EDIT, case-insensitive", value: " EDIT ", edits: 2},
		{name: "anything else", value: "write", wantInvalid: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			r := p.run(t, p.playInputs(map[string]string{"play-check": tc.value}))
			if tc.wantInvalid {
				a, ok := find(r, "error", "Invalid input play-check")
				if !ok || !strings.Contains(a.msg, `"write"`) || !strings.Contains(a.msg, "mos.publisher") {
					t.Errorf("no Invalid input play-check error naming the value and the risk of edit:\n%s", r.stdout)
				}
				if r.outputs["results"] != "[]" || !errors.Is(r.err, action.ErrFailed) {
					t.Errorf("results = %s, error = %v; want [] and ErrFailed", r.outputs["results"], r.err)
				}
				if n := p.google.Faults().Requests(); n != 0 {
					t.Errorf("Google saw %d requests; the input must be refused before any", n)
				}
				return
			}
			if r.err != nil {
				t.Fatalf("error = %v\n%s", r.err, r.stdout)
			}
			if n := p.google.ReleaseReads(); n != tc.wantReads {
				t.Errorf("track reads = %d, want %d (one per package)", n, tc.wantReads)
			}
			if n := p.google.EditsOpened(); n != tc.edits {
				t.Errorf("edits opened = %d, want %d", n, tc.edits)
			}
			if n := p.google.Faults().RequestsTo("DELETE", "/androidpublisher/"); n != tc.edits {
				t.Errorf("edits deleted = %d, want %d", n, tc.edits)
			}
			if n := p.google.Faults().RequestsTo("GET", googlestandin.CertPath); n != 1 {
				t.Errorf("certificate list requests = %d, want 1", n)
			}
		})
	}
}

func TestPlayKeyExpiryWarningInput(t *testing.T) {
	t.Parallel()
	p := setup(t)
	r := p.run(t, p.playInputs(map[string]string{"play-key-expiry-warning": "soon"}))
	if _, ok := find(r, "error", "Invalid input play-key-expiry-warning"); !ok || r.outputs["results"] != "[]" {
		t.Errorf("want Invalid input play-key-expiry-warning and results []:\n%s", r.stdout)
	}
	if n := p.google.Faults().Requests(); n != 0 {
		t.Errorf("Google saw %d requests; the input must be refused before any", n)
	}
}

// TestPlayKeyLifetime runs with this machine's clock: the stand-in refuses
// an expired key by its own clock, as Google does.
func TestPlayKeyLifetime(t *testing.T) {
	t.Parallel()
	created := time.Now().UTC().Add(-80 * 24 * time.Hour).Truncate(time.Second)
	in5days := time.Now().UTC().Add(5 * 24 * time.Hour).Truncate(time.Second)
	cases := []struct {
		name      string
		expires   time.Time // zero: never
		in        map[string]string
		prepare   func(p *world)
		wantErr   bool
		wantWarn  bool
		wantTitle string   // an error annotation
		wantMsg   []string // in the warning, or in the wantTitle error
		wantOut   map[string]string
		certReqs  int
	}{
		{
			name: "never expires", certReqs: 1,
			wantOut: map[string]string{"play-key-created-at": created.Format(time.RFC3339), "play-key-expires-at": ""},
		},
		{
			name: "expires in 5 days: a warning", expires: in5days, wantWarn: true, certReqs: 1,
			wantMsg: []string{in5days.Format("2006-01-02"), "(5 days left)", "Google Cloud → IAM & Admin → Service accounts → " + playEmail + " → Keys", "the next run uploads it"},
			wantOut: map[string]string{"play-key-created-at": created.Format(time.RFC3339), "play-key-expires-at": in5days.Format(time.RFC3339), "play-valid": "true", "uploaded": "true"},
		},
		{
			name: "expires in 5 days, mode check: an error", expires: in5days, in: checkOnly, wantErr: true, certReqs: 1,
			wantTitle: "Google Play key expires soon", wantMsg: []string{"(5 days left)"},
		},
		{
			name: "expires in 5 days, warning off", expires: in5days, in: map[string]string{"play-key-expiry-warning": "off"}, certReqs: 1,
			wantOut: map[string]string{"play-key-expires-at": in5days.Format(time.RFC3339)},
		},
		{
			name: "expires in 5 days, window of 3 days", expires: in5days, in: map[string]string{"play-key-expiry-warning": "3d"}, certReqs: 1,
		},
		{
			name: "expired yesterday: an error in every mode", expires: time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second), wantErr: true, certReqs: 1,
			wantTitle: "Google Play key expired", wantMsg: []string{"expired on", "Keys → Add key"},
		},
		{
			name: "deleted key: the precise error", certReqs: 1, wantErr: true,
			prepare:   func(p *world) { p.google.DeleteKey(playEmail, playKeyID) },
			wantTitle: "Play key deleted or rotated",
			wantMsg:   []string{"Google no longer publishes the certificate of key " + playKeyID + ": it was deleted or disabled in Google Cloud", "store it in the secret"},
		},
		{
			name: "crafted client_x509_cert_url: never requested", certReqs: 0,
			prepare: func(p *world) {
				p.keyJSON = editKeyFile(t, p.keyJSON, func(f map[string]any) {
					f["client_x509_cert_url"] = "https://evil.example/robot/v1/metadata/x509/" + playEmail
				})
			},
			wantOut: map[string]string{"play-key-created-at": "", "play-key-expires-at": "", "play-valid": "true"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.google.SetKeyValidity(playEmail, playKeyID, created, tc.expires)
			if tc.prepare != nil {
				tc.prepare(p)
			}
			r := p.run(t, p.playInputs(tc.in), withNow(time.Now))
			if (r.err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error: %v\n%s", r.err, tc.wantErr, r.stdout)
			}
			warn, warned := find(r, "warning", "Google Play key expires soon")
			if warned != tc.wantWarn {
				t.Errorf("warning given: %v, want %v\n%s", warned, tc.wantWarn, r.stdout)
			}
			msg := warn.msg
			if tc.wantTitle != "" {
				a, ok := find(r, "error", tc.wantTitle)
				if !ok {
					t.Fatalf("error titles %q do not include %q\n%s", titles(r, "error"), tc.wantTitle, r.stdout)
				}
				msg = a.msg
			}
			for _, s := range tc.wantMsg {
				if !strings.Contains(msg, s) {
					t.Errorf("message does not contain %q: %s", s, msg)
				}
			}
			if tc.name == "deleted key: the precise error" && !strings.HasPrefix(msg, "Google no longer publishes") {
				t.Errorf("the message must open with what was found: %s", msg)
			}
			if tc.wantOut != nil {
				expectOutputs(t, r, tc.wantOut)
			}
			if n := p.google.Faults().RequestsTo("GET", googlestandin.CertPath); n != tc.certReqs {
				t.Errorf("certificate list requests = %d, want %d", n, tc.certReqs)
			}
			if tc.certReqs == 0 && !strings.Contains(r.stdout, "lifetime is unknown") {
				t.Errorf("the log does not say the lifetime is unknown:\n%s", r.stdout)
			}
			if created := r.outputs["play-key-created-at"]; created != "" && !strings.Contains(r.summary, "| Key created | "+created+" |") {
				t.Errorf("the summary's key table does not show the creation date:\n%s", r.summary)
			}
		})
	}
}
