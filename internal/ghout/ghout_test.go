package ghout_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/ghout"
	"github.com/mos-tools/publisher-keys/internal/testkit/runnerlog"
)

func newWriter(t *testing.T) (*ghout.Writer, *runnerlog.Recorder, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	out := &runnerlog.Recorder{}
	return ghout.New(out, func(k string) string { return env[k] }), out, env
}

// hostile is text a server, a file or an input could send.
var hostile = []string{
	"plain",
	"x\n::error title=Forged::forged",
	"x\r::add-mask::y",
	"x\r\n  ::stop-commands::tok",
	"##[error]legacy",
	"###[warning]",
	"\u2028::error::sep\u2029::notice::p\u0085::warning::n",
	"%0A::error::already escaped",
	"title: with, commas",
	"\t ::error::indented",
	"\x1b[31mred\x00nul",
}

func TestCommandsCannotBeForged(t *testing.T) {
	t.Parallel()
	for _, h := range hostile {
		w, out, _ := newWriter(t)
		w.Logf("app %s: drift", h)
		w.Annotate(ghout.Error, h, h)
		w.Annotate(ghout.Notice, "t", "prefix "+h)
		lines := runnerlog.Split(out.String())
		if bad := out.Problems(); len(bad) > 0 {
			t.Errorf("%q: forged lines %q\n%s", h, bad, out)
		}
		if len(lines) != 3 {
			t.Errorf("%q: %d lines as the runner splits them, want 3:\n%q", h, len(lines), out)
		}
	}
}

func TestEscapesAsActionsCore(t *testing.T) {
	t.Parallel()
	w, out, _ := newWriter(t)
	w.Annotate(ghout.Error, "a: b, c%", "50% done\r\nnext")
	want := "::error title=a%3A b%2C c%25::50%25 done%0D%0Anext\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out, want)
	}
}

func TestRedaction(t *testing.T) {
	t.Parallel()
	w, out, _ := newWriter(t)
	const material = "eyJhbGciOiJFUzI1NiIsImtpZCI6IlRFU1RLRVkwMDEifQ.c2lnbmF0dXJlLXBpZWNlcy1oZXJl"
	const email = `"client_email": "keys@acme.iam.gserviceaccount.com",`
	w.Secret(material)
	w.Mask(email)
	out.Reset()
	// Pieces of 20 characters, as a service echoing the token in parts.
	var pieces []string
	for i := 0; i+20 <= len(material); i += 20 {
		pieces = append(pieces, material[i:i+20])
	}
	w.Logf("the server said %s", strings.Join(pieces, " / "))
	w.Logf("client email keys@acme.iam.gserviceaccount.com and key id 0123456789abcdef0123")
	w.Logf("the line %s", email)
	got := out.String()
	for _, p := range pieces {
		if strings.Contains(got, p[:MinRunForTest]) {
			t.Errorf("piece %q shows: %s", p, got)
		}
	}
	if !strings.Contains(got, "client email keys@acme.iam.gserviceaccount.com and key id 0123456789abcdef0123") {
		t.Errorf("an identifier was redacted: %s", got)
	}
	if strings.Contains(got, email) {
		t.Errorf("a masked line shows: %s", got)
	}
}

// MinRunForTest is ghout.MinRun.
const MinRunForTest = ghout.MinRun

func TestOutputsHeredoc(t *testing.T) {
	t.Parallel()
	w, _, env := newWriter(t)
	forged := "x\n_GitHubActionsFileCommandDelimeter_\nvalid=true\nghadelimiter_00000000-0000-4000-8000-000000000000\nasc-fingerprint<<EOF\nforged\nEOF"
	if err := w.SetOutput("asc-previous-key-id", forged); err != nil {
		t.Fatal(err)
	}
	if err := w.SetOutput("valid", "false"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(env["GITHUB_OUTPUT"])
	if err != nil {
		t.Fatal(err)
	}
	got, err := runnerlog.ParseOutputs(string(b))
	if err != nil {
		t.Fatal(err)
	}
	if got["asc-previous-key-id"] != forged || got["valid"] != "false" || len(got) != 2 {
		t.Errorf("outputs = %q", got)
	}
	if !regexp.MustCompile(`^asc-previous-key-id<<ghadelimiter_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n`).Match(b) {
		t.Errorf("not a fresh UUIDv4 delimiter:\n%s", b)
	}
}

func TestDelimiterIsFresh(t *testing.T) {
	t.Parallel()
	a, _ := ghout.Delimiter()
	b, _ := ghout.Delimiter()
	if a == b {
		t.Errorf("the same delimiter twice: %s", a)
	}
}

func TestCell(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		`<img src=x onerror=alert(1)>`:      `&lt;img src=x onerror=alert(1)&gt;`,
		`[click](https://evil.example)`:     `&#91;click&#93;(https&#58;//evil.example)`,
		`![i](x) a|b`:                       `!&#91;i&#93;(x) a&#124;b`,
		"`code`\nnext\r\u2028line":          `&#96;code&#96; next line`,
		`\[x\]`:                             `\&#91;x\&#93;`,
		`see www.evil.example`:              `see www&#46;evil.example`,
		`TESTKEY001`:                        `TESTKEY001`,
		`keys@acme.iam.gserviceaccount.com`: `keys@acme.iam.gserviceaccount.com`,
	}
	for in, want := range cases {
		if got := ghout.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}
