package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
	"github.com/mos-tools/publisher-keys/internal/version"
)

const testVersion = "v9.8.7-e2e"

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// build compiles the action once per test binary, as the Dockerfile does.
func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "publisher-keys-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "publisher-keys")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags",
			"-s -w -X github.com/mos-tools/publisher-keys/internal/version.version="+testVersion, "-o", binary, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("failed to build the binary: %v", buildErr)
	}
	return binary
}

type e2e struct {
	pub    *ecdsa.PublicKey
	asc    *ascstandin.Server
	portal *portalstandin.Server
	ascURL string
	mosURL string
	keyPEM string
}

func setupE2E(t *testing.T, opts ...ascstandin.Option) *e2e {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &e2e{pub: &key.PublicKey, keyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))}
	e.asc = ascstandin.New(opts...)
	e.asc.AddKey(ascstandin.Key{KeyID: "E2EKEY0001", IssuerID: "5e2e5e2e-0000-4000-8000-000000000001", Public: &key.PublicKey})
	e.portal = portalstandin.New()
	e.portal.AddToken("e2e-token-9d8c7b6a", "acme")
	e.portal.AddApp("acme", "weather")
	e.portal.AddApp("acme", "news")
	var stop func()
	if e.ascURL, stop, err = e.asc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if e.mosURL, stop, err = e.portal.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return e
}

// goodInputs are the inputs of a run that uploads the key the stand-in knows.
func (e *e2e) goodInputs() map[string]string {
	return map[string]string{
		"asc-key":       base64.StdEncoding.EncodeToString([]byte(e.keyPEM)),
		"asc-key-id":    "E2EKEY0001",
		"asc-issuer-id": "5e2e5e2e-0000-4000-8000-000000000001",
		"asc-api-url":   e.ascURL,
		"mos-url":       e.mosURL,
		"mos-token":     "e2e-token-9d8c7b6a",
		"mos-project":   "acme",
		"mos-apps":      "weather\nnews",
	}
}

type runOutput struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	summary        string
}

// runEnv is the environment a runner gives a Docker action: INPUT_* with
// hyphens kept, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_WORKSPACE, and
// nothing else of the test's environment. The runner files, HOME and TMPDIR
// are all dir.
func runEnv(dir string, inputs map[string]string) map[string]string {
	env := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE":    dir,
		"HOME":                dir,
		"TMPDIR":              dir,
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	return env
}

// runMain runs the program in-process, as main would, with the environment
// of runEnv.
func runMain(t *testing.T, args []string, inputs map[string]string) runOutput {
	t.Helper()
	dir := t.TempDir()
	env := runEnv(dir, inputs)
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, testDeps(env, &stdout), &stderr)
	return readRunOutput(t, dir, code, stdout.String(), stderr.String())
}

// testDeps is what run takes from the process in a test: env as the
// environment, stdout as the job log, and retries that wait milliseconds
// rather than the quarter seconds to seconds a runner waits (the backoff is
// httpx's to test).
func testDeps(env map[string]string, stdout io.Writer) action.Deps {
	return action.Deps{
		Getenv:       func(k string) string { return env[k] },
		Stdout:       stdout,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 10 * time.Millisecond,
	}
}

// runBinary runs the built binary with the environment of runEnv, in dir
// (or a fresh one when dir is empty).
func runBinary(t *testing.T, dir string, args []string, inputs map[string]string) runOutput {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	cmd := exec.CommandContext(t.Context(), build(t), args...)
	cmd.Dir = dir
	for k, v := range runEnv(dir, inputs) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return readRunOutput(t, dir, code, stdout.String(), stderr.String())
}

// readRunOutput reads the runner files a run left in dir.
func readRunOutput(t *testing.T, dir string, code int, stdout, stderr string) runOutput {
	t.Helper()
	outputs, err := action.ReadOutputFile(filepath.Join(dir, "output"))
	if err != nil {
		t.Fatal(err)
	}
	summary, _ := os.ReadFile(filepath.Join(dir, "summary"))
	return runOutput{code: code, stdout: stdout, stderr: stderr, outputs: outputs, summary: string(summary)}
}

func TestEndToEnd(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	good := e.goodInputs()
	bad := map[string]string{}
	for k, v := range good {
		bad[k] = v
	}
	bad["asc-key-id"] = "E2EKEY0002" // a key App Store Connect does not know
	cut := map[string]string{}
	for k, v := range good {
		cut[k] = v
	}
	cut["asc-key"] = e.keyPEM[:len(e.keyPEM)/2] // a secret cut short when pasted

	// failedRows is the results output of a key that failed its check: each
	// app failed, in one sentence, with nothing replaced.
	failedRows := func(how string) string {
		var rows []string
		for _, app := range []string{"weather", "news"} {
			rows = append(rows, `{"platform":"ios","app":"`+app+`","status":"failed","heldKeyId":"","previousKeyId":"",`+
				`"error":"the App Store Connect key failed its check`+how+`, so nothing was written to app `+app+`; the key's error annotation says why"}`)
		}
		return "[" + strings.Join(rows, ",") + "]"
	}

	cases := []struct {
		name        string
		inputs      map[string]string
		wantCode    int
		wantOutputs map[string]string
		wantLog     []*regexp.Regexp
		wantSummary []string
		// wantErrors is the number of ::error annotations: the key's own,
		// never one per app.
		wantErrors int
	}{
		{
			name:        "good key is uploaded",
			inputs:      good,
			wantCode:    0,
			wantOutputs: map[string]string{"valid": "true", "uploaded": "true", "asc-key-id": "E2EKEY0001"},
			wantLog:     []*regexp.Regexp{regexp.MustCompile(`(?m)^mos publisher-keys ` + regexp.QuoteMeta(version.Version()) + ` `)},
			wantSummary: []string{"| weather | ⬆️ uploaded |", "| news | ⬆️ uploaded |", "| Fingerprint | SHA256:"},
		},
		{
			name:        "unknown key fails with an annotation and leaves mos.portal alone",
			inputs:      bad,
			wantCode:    1,
			wantOutputs: map[string]string{"valid": "false", "uploaded": "false", "asc-previous-key-id": "", "results": failedRows("")},
			wantLog:     []*regexp.Regexp{regexp.MustCompile(`(?m)^::error title=App Store Connect rejected the key \(401 NOT_AUTHORIZED\)::.*E2EKEY0002`)},
			wantSummary: []string{"| weather | ❌ failed |  |  | the App Store Connect key failed its check, so nothing was written to app weather;"},
			wantErrors:  1,
		},
		{
			name:        "a key refused at intake lists each app failed and leaves mos.portal alone",
			inputs:      cut,
			wantCode:    1,
			wantOutputs: map[string]string{"valid": "false", "uploaded": "false", "asc-previous-key-id": "", "results": failedRows(" (refused before any request)")},
			wantLog:     []*regexp.Regexp{regexp.MustCompile(`(?m)^::error title=App Store Connect key is truncated or corrupt::`)},
			wantSummary: []string{"| news | ❌ failed |  |  | the App Store Connect key failed its check (refused before any request), so nothing was written to app news;"},
			wantErrors:  1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Sequential: the second case asserts the first left mos.portal as it was.
			out := runMain(t, nil, tc.inputs)
			if out.code != tc.wantCode {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", out.code, tc.wantCode, out.stdout, out.stderr)
			}
			for k, want := range tc.wantOutputs {
				if got := out.outputs[k]; got != want {
					t.Errorf("output %s = %q, want %q", k, got, want)
				}
			}
			for _, re := range tc.wantLog {
				if !re.MatchString(out.stdout) {
					t.Errorf("log does not match %s:\n%s", re, out.stdout)
				}
			}
			if n := strings.Count(out.stdout, "\n::error "); tc.wantErrors > 0 && n != tc.wantErrors {
				t.Errorf("%d ::error annotations, want %d:\n%s", n, tc.wantErrors, out.stdout)
			}
			for _, s := range tc.wantSummary {
				if !strings.Contains(out.summary, s) {
					t.Errorf("summary lacks %q:\n%s", s, out.summary)
				}
			}
			assertNothingLeaks(t, out, e.keyPEM, tc.inputs["asc-key"], tc.inputs["mos-token"])
		})
	}
	if rec, ok := e.portal.IOSKey("acme", "weather"); !ok || rec.KeyID != "E2EKEY0001" {
		t.Errorf("after the failed run mos.portal holds %q, want the good key", rec.KeyID)
	}
}

// assertNothingLeaks scans every stream and file a workflow can see for
// pieces of the secrets, outside ::add-mask:: commands.
func assertNothingLeaks(t *testing.T, out runOutput, keyPEM string, secrets ...string) {
	t.Helper()
	var pieces []string
	for _, line := range strings.Split(keyPEM, "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") {
			pieces = append(pieces, line[:20])
		}
	}
	for _, s := range secrets {
		if len(s) >= 12 {
			pieces = append(pieces, s[:12])
		}
	}
	var visible []string
	for _, line := range strings.Split(out.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			visible = append(visible, line)
		}
	}
	text := strings.Join(visible, "\n") + out.stderr + out.summary
	for _, v := range out.outputs {
		text += "\n" + v
	}
	for _, p := range pieces {
		if strings.Contains(text, p) {
			t.Errorf("secret piece %.6q… is visible outside ::add-mask::", p)
		}
	}
}

// TestBinary is the one test that execs the built binary, as the Dockerfile
// builds it: the version from -ldflags, an unknown command's exit code and
// message on stderr, and a run of the action from the process's own
// environment and streams. The other end-to-end tests call run in-process.
func TestBinary(t *testing.T) {
	t.Parallel()

	out := runBinary(t, "", []string{"version"}, nil)
	if out.code != 0 || strings.TrimSpace(out.stdout) != testVersion {
		t.Errorf("version: exit %d, stdout %q; want 0 and %q", out.code, out.stdout, testVersion)
	}
	out = runBinary(t, "", []string{"deploy"}, nil)
	if out.code != 1 || !strings.Contains(out.stderr, `unknown command "deploy"`) {
		t.Errorf("unknown command: exit %d, stderr %q", out.code, out.stderr)
	}
	e := setupE2E(t)
	in := e.goodInputs()
	dir := t.TempDir() // workspace, working directory, HOME and TMPDIR
	out = runBinary(t, dir, nil, in)
	if out.code != 0 || out.outputs["uploaded"] != "true" {
		t.Errorf("action: exit %d, uploaded %q\nstdout:\n%s\nstderr:\n%s", out.code, out.outputs["uploaded"], out.stdout, out.stderr)
	}
	if !strings.Contains(out.stdout, "mos publisher-keys "+testVersion+" ") {
		t.Errorf("the start-up line does not name version %s:\n%s", testVersion, out.stdout)
	}
	assertNothingLeaks(t, out, e.keyPEM, in["asc-key"], in["mos-token"])
	// The key is never written to disk: the run leaves only the runner's
	// files behind.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "output" && e.Name() != "summary" {
			t.Errorf("the run left %s in its workspace, HOME and TMPDIR", e.Name())
		}
	}
}

// TestUsage: -h and --help print the usage, sandbox -h its flags.
func TestUsage(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"-h", "--help"} {
		out := runMain(t, []string{arg}, nil)
		if out.code != 0 || !strings.Contains(out.stdout, "Usage:") || !strings.Contains(out.stdout, "publisher-keys sandbox") {
			t.Errorf("%s: exit %d, stdout %q; want 0 and the usage", arg, out.code, out.stdout)
		}
	}
	out := runMain(t, []string{"sandbox", "-h"}, nil)
	if out.code != 0 || !strings.Contains(out.stdout, "Usage: publisher-keys sandbox") {
		t.Errorf("sandbox -h: exit %d, stdout %q, stderr %q; want 0 and the usage", out.code, out.stdout, out.stderr)
	}
}

func TestWithoutInputsExplains(t *testing.T) {
	t.Parallel()

	out := runMain(t, nil, nil)
	if out.code != 1 {
		t.Fatalf("exit %d, want 1", out.code)
	}
	if !strings.Contains(out.stdout, "::error title=Invalid input asc-key::") || !strings.Contains(out.stdout, "forks or by Dependabot") {
		t.Errorf("want an annotated explanation of the missing key:\n%s", out.stdout)
	}
	if out.outputs["valid"] != "false" {
		t.Errorf("valid = %q, want false", out.outputs["valid"])
	}
}

// TestAgreementNotAccepted: on the morning Apple's updated agreement
// takes effect, the action blames neither the key nor its role, names
// the Account Holder's remedy, and leaves mos.portal exactly as it was.
func TestAgreementNotAccepted(t *testing.T) {
	t.Parallel()
	e := setupE2E(t)
	in := e.goodInputs()
	in["asc-bundle-ids"] = "com.acme.weather"
	e.asc.AddApp(ascstandin.App{ID: "1", BundleID: "com.acme.weather", Name: "Weather", IssuerID: in["asc-issuer-id"]})
	if out := runMain(t, nil, in); out.code != 0 || out.outputs["uploaded"] != "true" {
		t.Fatalf("first run: exit %d, uploaded %q\n%s", out.code, out.outputs["uploaded"], out.stdout)
	}
	before := map[string]portalstandin.IOSRecord{}
	for _, app := range []string{"weather", "news"} {
		before[app], _ = e.portal.IOSKey("acme", app)
	}
	puts := e.portal.Requests("PUT", "acme", "weather", portalstandin.IOS) + e.portal.Requests("PUT", "acme", "news", portalstandin.IOS)

	e.asc.SetAgreement(in["asc-issuer-id"], ascstandin.AgreementExpired)
	in["mode"] = "force" // would upload, were the key proven
	out := runMain(t, nil, in)

	if out.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", out.code, out.stdout)
	}
	for k, want := range map[string]string{"valid": "false", "uploaded": "false"} {
		if got := out.outputs[k]; got != want {
			t.Errorf("output %s = %q, want %q", k, got, want)
		}
	}
	errLine := regexp.MustCompile(`(?m)^::error title=App Store Connect agreement not accepted \(403 FORBIDDEN\.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED\)::.*$`).FindString(out.stdout)
	if errLine == "" {
		t.Fatalf("no agreement annotation in the log:\n%s", out.stdout)
	}
	for _, want := range []string{"E2EKEY0001", "Nothing is wrong with the key", "Account Holder",
		"https://appstoreconnect.apple.com/business", "https://developer.apple.com/account"} {
		if !strings.Contains(errLine, want) {
			t.Errorf("annotation lacks %q: %s", want, errLine)
		}
	}
	for _, bad := range []string{"role", "generate", "Team Keys"} {
		if strings.Contains(errLine, bad) {
			t.Errorf("annotation mentions %q: %s", bad, errLine)
		}
	}
	row := regexp.MustCompile(`(?m)^\| App Store Connect check \|.*$`).FindString(out.summary)
	if !strings.Contains(row, "❌ Nothing is wrong with the key: App Store Connect accepted key E2EKEY0001") || !strings.Contains(row, "Account Holder") {
		t.Errorf("summary check row = %q", row)
	}
	t.Logf("annotation as the runner gets it:\n%s", errLine)
	t.Logf("step summary row:\n%s", row)

	for app, rec := range before {
		if got, _ := e.portal.IOSKey("acme", app); got != rec {
			t.Errorf("mos.portal app %s changed: %+v, was %+v", app, got, rec)
		}
	}
	if n := e.portal.Requests("PUT", "acme", "weather", portalstandin.IOS) + e.portal.Requests("PUT", "acme", "news", portalstandin.IOS); n != puts {
		t.Errorf("%d uploads reached mos.portal, want none", n-puts)
	}
	assertNothingLeaks(t, out, e.keyPEM, in["asc-key"], in["mos-token"])
}

// TestTellsApart401s: the two causes of a 401 that can be known for
// certain are named as such, in one annotation, and nothing reaches
// mos.portal. The annotation is logged (go test -run TestTellsApart401s -v)
// as the user sees it.
func TestTellsApart401s(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		opts         []ascstandin.Option
		individual   bool
		wantTitle    string
		wantInError  []string
		wantRequests int
	}{
		{
			name: "individual key", individual: true,
			wantTitle:    "Individual API key, not a team key",
			wantInError:  []string{"Key E2EKEY0001 is an individual API key", "Team Keys", "Nothing is uploaded."},
			wantRequests: 2,
		},
		{
			name:         "runner's clock 10 minutes behind",
			opts:         []ascstandin.Option{ascstandin.WithClockOffset(10 * time.Minute)},
			wantTitle:    "Runner's clock is off",
			wantInError:  []string{"The runner's clock is ", " behind App Store Connect's", "was not judged"},
			wantRequests: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setupE2E(t, tc.opts...)
			in := e.goodInputs()
			e.asc.AddKey(ascstandin.Key{KeyID: in["asc-key-id"], IssuerID: in["asc-issuer-id"], Public: e.pub, Individual: tc.individual})
			out := runMain(t, nil, in)
			if out.code != 1 {
				t.Fatalf("exit %d, want 1\n%s", out.code, out.stdout)
			}
			errLines := regexp.MustCompile(`(?m)^::error .*$`).FindAllString(out.stdout, -1)
			// A title property escapes "," (and ":") as the runner reads it.
			title := strings.NewReplacer(",", "%2C", ":", "%3A").Replace(tc.wantTitle)
			if len(errLines) != 1 || !strings.HasPrefix(errLines[0], "::error title="+title+"::") {
				t.Fatalf("error annotations = %q, want one titled %q", errLines, tc.wantTitle)
			}
			for _, want := range tc.wantInError {
				if !strings.Contains(errLines[0], want) {
					t.Errorf("annotation lacks %q: %s", want, errLines[0])
				}
			}
			if strings.Contains(errLines[0], "backdated") {
				t.Errorf("annotation shows token internals: %s", errLines[0])
			}
			if n := e.asc.Requests(); n != tc.wantRequests {
				t.Errorf("%d App Store Connect requests, want %d", n, tc.wantRequests)
			}
			if out.outputs["valid"] != "false" || out.outputs["uploaded"] != "false" {
				t.Errorf("valid=%q uploaded=%q, want false and false", out.outputs["valid"], out.outputs["uploaded"])
			}
			for _, app := range []string{"weather", "news"} {
				if n := e.portal.Requests("PUT", "acme", app, portalstandin.IOS); n != 0 {
					t.Errorf("%d uploads to %s, want none", n, app)
				}
			}
			t.Logf("annotation as the runner gets it:\n%s", errLines[0])
			assertNothingLeaks(t, out, e.keyPEM, in["asc-key"], in["mos-token"])
		})
	}
}

// TestFinalErrorIsPlain pins that the final error line on stderr, which the
// runner reads too, goes through the seam's escaping: text in a wrapped
// error (here a flag name) cannot become a workflow command.
func TestFinalErrorIsPlain(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"sandbox", "-x\n::error::pwned ##[group]y"}, testDeps(nil, &stdout), &stderr)
	if code != 1 {
		t.Fatalf("exit code %d, want 1", code)
	}
	got := strings.TrimSuffix(stderr.String(), "\n")
	if strings.Contains(got, "\n") || strings.Contains(got, "##[") || !strings.Contains(got, "-x ::error::pwned") {
		t.Errorf("stderr = %q, want one plain line", stderr.String())
	}
}
