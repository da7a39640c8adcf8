package asckey_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/asckey"
)

// What users read about a rejected key: asckey says what it found, the
// action package adds the title, the input names and what to do.
func TestParseRejectsAdvice(t *testing.T) {
	t.Parallel()
	for _, tc := range asckey.Rejections(t) {
		t.Run(tc.Name, func(t *testing.T) {
			t.Parallel()
			_, err := asckey.Parse(tc.In)
			var ie *asckey.IntakeError
			if !errors.As(err, &ie) {
				t.Fatalf("error is %T, want *asckey.IntakeError", err)
			}
			title, msg := action.Explain(err)
			if title != tc.Title {
				t.Errorf("title %q, want %q\n%s", title, tc.Title, msg)
			}
			if !strings.Contains(msg, ie.Found) {
				t.Errorf("message %q does not say what was found (%q)", msg, ie.Found)
			}
			for _, s := range []string{title, msg} {
				if piece, leak := asckey.Leaked(s, tc.In); leak {
					t.Errorf("message contains input %q: %s", piece, s)
				}
				if runs := asckey.Base64Runs(s, 16); len(runs) > 0 {
					t.Errorf("message contains a long base64-like run %q", runs[0])
				}
			}
		})
	}
}

// The messages people will read, in one file, so that a change to any of
// them shows in review. go test -run TestParseRejectsGolden -update.
func TestParseRejectsGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, tc := range asckey.Rejections(t) {
		_, err := asckey.Parse(tc.In)
		if err == nil {
			t.Fatalf("%s: accepted", tc.Name)
		}
		title, msg := action.Explain(err)
		fmt.Fprintf(&b, "## %s\n%s: %s\n\n", tc.Name, title, msg)
	}
	golden := filepath.Join("testdata", "rejections.golden")
	if *asckey.Update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("messages changed (-golden +got); run with -update if intended:\n%s", diff)
	}
}

// Every reason has advice: a new one cannot reach users as a bare fact.
func TestEveryReasonAdvised(t *testing.T) {
	t.Parallel()
	for _, tc := range asckey.Rejections(t) {
		_, err := asckey.Parse(tc.In)
		if title, msg := action.Explain(err); title == "Error" || msg == err.Error() {
			t.Errorf("%s: reason %s has no advice: %s", tc.Name, tc.Reason, msg)
		}
	}
}
