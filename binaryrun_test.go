package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/testkit"
)

// runShAsset is the release asset binary/run.sh picks on this machine.
func runShAsset(t *testing.T) string {
	t.Helper()
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64":
		return "publisher-keys-" + runtime.GOOS + "-" + runtime.GOARCH
	}
	t.Skipf("binary/run.sh supports no %s/%s runner", runtime.GOOS, runtime.GOARCH)
	return ""
}

// runShResult is what one run of binary/run.sh left.
type runShResult struct {
	stdout, stderr string
	code           int
	workspace      []string // what is left in the workspace (the step's folder)
	runnerTemp     []string // and in RUNNER_TEMP
}

// runSh runs script (a copy of binary/run.sh, or the real one) as the
// composite step does: bash, in an empty workspace, with RUNNER_TEMP set, the
// caller's INPUT_* variables and nothing of the caller's GitHub environment.
func runSh(t *testing.T, script string, env ...string) runShResult {
	t.Helper()
	workspace, runnerTemp := t.TempDir(), t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // the one real go build
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", script)
	cmd.Dir = workspace
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "INPUT_") && !strings.HasPrefix(name, "GITHUB_") &&
			!strings.HasPrefix(name, "RUNNER_") && !strings.HasPrefix(name, "PUBLISHER_KEYS_") && name != "GOTOOLCHAIN" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "RUNNER_TEMP="+runnerTemp, "GITHUB_WORKSPACE="+workspace)
	cmd.Env = append(cmd.Env, env...)
	r := runShResult{}
	r.stdout, r.stderr, r.code = execute(t, cmd)
	r.workspace, r.runnerTemp = dirNames(t, workspace), dirNames(t, runnerTemp)
	return r
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// releaseAction is a copy of binary/ as a release commit has it: run.sh and
// the SHA256SUMS given. It returns the path of run.sh.
func releaseAction(t *testing.T, sums string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "binary")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "binary", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run.sh"), b, 0o755); err != nil {
		t.Fatal(err)
	}
	if sums != "" {
		if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), []byte(sums), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "run.sh")
}

// fakeBinary stands in for a release binary: it shows which inputs reached
// it, hyphenated names included, and exits 7 so the step's status can be
// told from run.sh's own.
const fakeBinary = `#!/bin/bash
printf 'fake binary ran: asc-key-id=%s mode=%s\n' "$(printenv 'INPUT_ASC-KEY-ID')" "$(printenv INPUT_MODE)"
exit 7
`

// TestRunShRelease: at a release commit run.sh downloads the binary of its
// tag over binary-download-url and runs it only when its SHA-256 is the one
// committed in SHA256SUMS; every refusal is a titled error and runs nothing.
func TestRunShRelease(t *testing.T) {
	t.Parallel()
	asset := runShAsset(t)
	const tag = "v1.2.3"
	good := fakeSHA256(fakeBinary)
	sumsFor := func(hash string) string { // as pin-release.sh writes it
		var b strings.Builder
		for _, a := range pinAssets {
			h := fakeSHA256(a)
			if a == asset {
				h = hash
			}
			b.WriteString(h + "  " + a + "\n")
		}
		return b.String()
	}
	var withoutAsset strings.Builder
	for _, a := range pinAssets {
		if a != asset {
			withoutAsset.WriteString(fakeSHA256(a) + "  " + a + "\n")
		}
	}

	// The mirror serves <tag>/<asset>, under /mirror/, with "/tampered/"
	// serving another file under the same name.
	var requests atomic.Int64
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch r.URL.Path {
		case "/mirror/" + tag + "/" + asset:
			_, _ = w.Write([]byte(fakeBinary))
		case "/tampered/" + tag + "/" + asset:
			_, _ = w.Write([]byte(strings.Replace(fakeBinary, "exit 7", "exit 0", 1)))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(mirror.Close)
	closedURL := testkit.RefusedURL(t)

	inputs := []string{"PUBLISHER_KEYS_RELEASE=" + tag, "INPUT_ASC-KEY-ID=ABCDE12345", "INPUT_MODE=check"}
	cases := []struct {
		name     string
		sums     string // "" : no SHA256SUMS at all
		url      string
		code     int
		want     []string // in stdout
		requests int64    // how many the mirror saw; -1: not counted (other server)
	}{
		{"the verified binary runs", sumsFor(good), mirror.URL + "/mirror", 7, []string{
			"SHA-256 " + good + " as in binary/SHA256SUMS",
			"fake binary ran: asc-key-id=ABCDE12345 mode=check",
		}, 1},
		{"a trailing slash on the URL", sumsFor(good), mirror.URL + "/mirror/", 7, []string{"fake binary ran:"}, 1},
		{"another file under the asset's name", sumsFor(good), mirror.URL + "/tampered", 1, []string{
			"::error title=Checksum mismatch::" + asset + " downloaded from " + mirror.URL + "/tampered/" + tag + "/" + asset +
				" has SHA-256 " + fakeSHA256(strings.Replace(fakeBinary, "exit 7", "exit 0", 1)) +
				", but binary/SHA256SUMS of " + tag + " expects " + good + ". It was deleted, not run.",
		}, 1},
		{"no line for this runner", withoutAsset.String(), mirror.URL + "/mirror", 1, []string{
			"::error title=Missing checksum::binary/SHA256SUMS of " + tag + " has no single valid line for " + asset + ", so nothing can be checked and nothing is run.",
		}, 0},
		{"two lines for this runner", sumsFor(good) + fakeSHA256("x") + "  " + asset + "\n", mirror.URL + "/mirror", 1, []string{
			"::error title=Missing checksum::",
		}, 0},
		{"no SHA256SUMS", "", mirror.URL + "/mirror", 1, []string{"::error title=Missing checksum::"}, 0},
		{"not on the mirror", sumsFor(good), mirror.URL + "/elsewhere", 1, []string{
			"::error title=Binary download failed::could not download " + asset + " of " + tag + " from " + mirror.URL + "/elsewhere/" + tag + "/" + asset +
				": HTTP 404. Nothing was run. On GitHub Enterprise Server, or where github.com is out of reach, set the input binary-download-url",
		}, 1},
		// A % in the message is escaped, or the runner would decode it.
		{"a URL with a percent sign", sumsFor(good), mirror.URL + "/my%20mirror", 1, []string{
			"from " + mirror.URL + "/my%2520mirror/" + tag + "/" + asset + ": HTTP 404.",
		}, 1},
		{"nobody listening", sumsFor(good), closedURL, 1, []string{
			"::error title=Binary download failed::could not download " + asset + " of " + tag + " from " + closedURL + "/" + tag + "/" + asset + ": no HTTP answer (curl: (7)",
		}, -1},
	}
	// The mirror's request count is shared: the cases that count run one at
	// a time, those that do not in parallel.
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.requests < 0 {
				t.Parallel()
			}
			before := requests.Load()
			r := runSh(t, releaseAction(t, tc.sums), append(inputs, "INPUT_BINARY-DOWNLOAD-URL="+tc.url)...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not have %q:\n%s", w, r.stdout)
				}
			}
			if tc.code != 7 && strings.Contains(r.stdout, "fake binary ran") {
				t.Errorf("the binary ran although run.sh refused:\n%s", r.stdout)
			}
			if tc.requests >= 0 {
				if got := requests.Load() - before; got != tc.requests {
					t.Errorf("%d requests to the mirror, want %d", got, tc.requests)
				}
			}
			if len(r.workspace) > 0 || len(r.runnerTemp) > 0 {
				t.Errorf("left behind: workspace %v, RUNNER_TEMP %v", r.workspace, r.runnerTemp)
			}
		})
	}
}

// toolsPath is a folder of links to the named commands only, for a PATH
// without the rest (no go, or a uname of our own first).
func toolsPath(t *testing.T, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range tools {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeExec(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestRunShRefusesRunner: another OS or architecture is refused by name,
// before anything is downloaded or built.
func TestRunShRefusesRunner(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, s, m, want string }{
		{"FreeBSD", "FreeBSD", "amd64", "this runner is FreeBSD amd64."},
		{"Windows", "MINGW64_NT-10.0-20348", "x86_64", "this runner is MINGW64_NT-10.0-20348 x86_64."},
		{"riscv64", "Linux", "riscv64", "this runner is Linux riscv64."},
		{"32-bit ARM Mac", "Darwin", "armv7", "this runner is Darwin armv7."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			bin := t.TempDir()
			writeExec(t, filepath.Join(bin, "uname"), "#!/bin/sh\ncase $1 in -s) echo '"+tc.s+"' ;; -m) echo '"+tc.m+"' ;; esac\n")
			r := runSh(t, releaseAction(t, pinSums), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "PUBLISHER_KEYS_RELEASE=v1.2.3")
			want := "::error title=Unsupported runner::publisher-keys/binary runs on Linux and macOS, amd64 and arm64; " + tc.want
			if r.code != 1 || !strings.Contains(r.stdout, want) {
				t.Errorf("exit %d, stdout:\n%s\nwant exit 1 and %q", r.code, r.stdout, want)
			}
		})
	}
}

// TestRunShMain: on main run.sh builds the action from source with go build
// and runs it; without Go, or when the build fails, it says what to do.
func TestRunShMain(t *testing.T) {
	t.Parallel()
	runShAsset(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}

	// A module standing in for the action's source: binary/run.sh beside a
	// main.go (and go.mod) of the case's own.
	source := func(t *testing.T, gomod, main string) string {
		t.Helper()
		script := releaseAction(t, "")
		root := filepath.Dir(filepath.Dir(script))
		writeExec(t, filepath.Join(root, "go.mod"), gomod)
		writeExec(t, filepath.Join(root, "main.go"), main)
		return script
	}
	const gomod = "module example.com/fake\n\ngo 1.27.0\n"
	const echoMain = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Printf("built binary ran: asc-key-id=%s mode=%s\n", os.Getenv("INPUT_ASC-KEY-ID"), os.Getenv("INPUT_MODE"))
	os.Exit(3)
}
`
	cases := []struct {
		name    string
		script  func(t *testing.T) string
		env     []string
		code    int
		want    []string
		outputs bool // the binary wrote GITHUB_OUTPUT
	}{
		{"builds and runs the source", func(t *testing.T) string { return source(t, gomod, echoMain) }, nil, 3, []string{
			"publisher-keys: building from source in ",
			"(GOTOOLCHAIN=auto)",
			"built binary ran: asc-key-id=ABCDE12345 mode=check",
		}, false},
		{"the caller's GOTOOLCHAIN is kept", func(t *testing.T) string { return source(t, gomod, echoMain) }, []string{"GOTOOLCHAIN=local"}, 3, []string{
			"(GOTOOLCHAIN=local)", "built binary ran:",
		}, false},
		{"a Go older than go.mod wants", func(t *testing.T) string {
			return source(t, "module example.com/fake\n\ngo 1.999\n", echoMain)
		}, []string{"GOTOOLCHAIN=local"}, 1, []string{
			"go.mod requires go >= 1.999",
			"::error title=Build failed::go build of the action's source in ",
			"The Go on PATH is older than the action's go.mod asks for, and GOTOOLCHAIN=local keeps it from fetching the toolchain go.mod names: set up a Go at least that new with actions/setup-go, or set GOTOOLCHAIN: auto in this step's env.",
		}, false},
		{"source that does not compile", func(t *testing.T) string {
			return source(t, gomod, "package main\n\nfunc main() {\n")
		}, nil, 1, []string{"syntax error", "::error title=Build failed::", "See the go build output above."}, false},
		{"no Go", func(t *testing.T) string { return source(t, gomod, echoMain) }, []string{
			"PATH=" + toolsPath(t, "uname", "mktemp", "dirname", "rm"),
		}, 1, []string{
			"::error title=Go not found::at this commit (not a release, e.g. @main or uses: ./binary) the action builds itself from source and needs go on PATH. Add a step uses: actions/setup-go before it, or use a release, e.g. uses: mos-tools/publisher-keys/binary@v1",
		}, false},
		// The real thing once: this repository's binary/run.sh builds the
		// action, which reads the inputs (hyphenated names included) and
		// writes its outputs to GITHUB_OUTPUT.
		{"this repository's action", func(t *testing.T) string {
			p, err := filepath.Abs(filepath.Join(repoRoot, "binary", "run.sh"))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}, []string{"INPUT_MODE=bogus"}, 1, []string{
			`::error title=Invalid input mode::input mode: is "bogus"`,
			"::error title=Invalid input asc-key::input asc-key: is empty although asc-key-id",
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "github_output")
			if err := os.WriteFile(out, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			// The case's env comes last and so wins (exec keeps the last of
			// duplicate names).
			env := append([]string{"PUBLISHER_KEYS_RELEASE=", "INPUT_ASC-KEY-ID=ABCDE12345", "INPUT_MODE=check", "GITHUB_OUTPUT=" + out}, tc.env...)
			r := runSh(t, tc.script(t), env...)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout does not have %q:\n%s", w, r.stdout)
				}
			}
			if len(r.workspace) > 0 || len(r.runnerTemp) > 0 {
				t.Errorf("left behind: workspace %v, RUNNER_TEMP %v", r.workspace, r.runnerTemp)
			}
			if tc.outputs {
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(b), "valid<<") || !strings.Contains(string(b), "false") {
					t.Errorf("GITHUB_OUTPUT holds no valid=false:\n%s", b)
				}
			}
		})
	}
}
