package ghout_test

import (
	"os"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/ghout"
	"github.com/mos-tools/publisher-keys/internal/testkit/runnerlog"
)

// FuzzSeam: whatever text reaches the seam, the runner sees only the
// commands the action issued, no legacy command, the output it set and no
// piece of a registered secret.
func FuzzSeam(f *testing.F) {
	for _, h := range hostile {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, out, env := newWriter(t)
		const secret = "c2VjcmV0LW1hdGVyaWFsLW9mLXRoZS1ydW4tZm9yLXRoZS1mdXp6"
		w.Secret(secret)
		out.Reset()
		w.Logf("%s", s)
		w.Annotate(ghout.Warning, s, s)
		w.Annotate(ghout.Error, "t", s+secret[3:25])
		lines := runnerlog.Split(out.String())
		if bad := out.Problems(); len(bad) > 0 {
			t.Fatalf("forged %q from %q", bad, s)
		}
		if len(lines) != 3 {
			t.Fatalf("%d lines from %q", len(lines), s)
		}
		if strings.Contains(out.String(), secret[3:3+ghout.MinRun]) {
			t.Fatalf("secret piece shows: %q", out)
		}
		if err := w.SetOutput("results", s); err != nil {
			if !strings.Contains(s, "ghadelimiter_") {
				t.Fatal(err)
			}
			return
		}
		b, _ := os.ReadFile(env["GITHUB_OUTPUT"])
		got, err := runnerlog.ParseOutputs(string(b))
		if err != nil {
			t.Fatal(err)
		}
		if want := w.Redact(s); got["results"] != want || len(got) != 1 {
			t.Fatalf("outputs %q, want results=%q", got, want)
		}
		if c := ghout.Cell(s); strings.ContainsAny(c, "<>|[]`\n\r") {
			t.Fatalf("Cell(%q) = %q", s, c)
		}
	})
}
