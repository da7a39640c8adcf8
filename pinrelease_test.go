package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pinFiles are the files of the repository that scripts/pin-release.sh reads
// or edits, and the Dockerfile action.yml names on main (actionlint checks it
// is there); each test runs the script on its own copy of them.
var pinFiles = []string{"action.yml", "Dockerfile", "binary/action.yml", "binary/run.sh", "scripts/pin-release.sh"}

var pinAssets = []string{"publisher-keys-darwin-amd64", "publisher-keys-darwin-arm64", "publisher-keys-linux-amd64", "publisher-keys-linux-arm64"}

func fakeSHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// pinDigest and pinSums stand in for what a release produces: the image's
// digest and the SHA256SUMS of its four binaries, as sha256sum writes it.
var (
	pinDigest = "sha256:" + fakeSHA256("publisher-keys test image")
	pinSums   = func() string {
		var b strings.Builder
		for _, a := range pinAssets {
			b.WriteString(fakeSHA256(a) + "  " + a + "\n")
		}
		return b.String()
	}()
)

// pinCopy copies pinFiles into a fresh folder, keeping their modes.
func pinCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range pinFiles {
		src := filepath.Join(repoRoot, f)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(src)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// snapshot is every file under dir: path → mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = fi.Mode().String() + "\n" + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// runPin runs dir's pin-release.sh from another folder (it must find the tree
// itself) and returns its stdout, stderr and exit status.
func runPin(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{filepath.Join(dir, "scripts", "pin-release.sh")}, args...)...)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + cmd.Dir}
	return execute(t, cmd)
}

// execute runs cmd and returns its stdout, stderr and exit status; a
// command that cannot be started fails the test.
func execute(t *testing.T, cmd *exec.Cmd) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		t.Fatalf("running %s: %v", cmd.Path, err)
	}
	return o.String(), e.String(), code
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "SHA256SUMS")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// changedLines returns the lines that differ between two versions of a file
// with the same number of lines, as [old, new] pairs.
func changedLines(t *testing.T, name, before, after string) [][2]string {
	t.Helper()
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(a) != len(b) {
		t.Fatalf("%s: %d lines before, %d after; pin-release.sh must change lines, not add or remove them", name, len(b), len(a))
	}
	var changed [][2]string
	for i := range b {
		if b[i] != a[i] {
			changed = append(changed, [2]string{b[i], a[i]})
		}
	}
	return changed
}

// TestPinRelease runs pin-release.sh on a copy of the main tree and checks
// that it changes exactly the image line, the release line and adds
// binary/SHA256SUMS, and that both actions still parse as GitHub needs.
func TestPinRelease(t *testing.T) {
	t.Parallel()

	crlf := strings.ReplaceAll(strings.ReplaceAll(pinSums, "  ", " *"), "\n", "\r\n")
	cases := []struct {
		name, tag, sums string
	}{
		{"release", "v1.2.3", pinSums},
		{"pre-release", "v2.0.0-rc.1", pinSums},
		// Other files listed, binary-mode markers and CRLF line ends: the
		// four lines are still found and written as sha256sum writes them.
		{"sums from elsewhere", "v10.20.30-beta.2.x-y", fakeSHA256("notes") + "  notes.md\n" + crlf},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := pinCopy(t)
			before := snapshot(t, dir)

			stdout, stderr, code := runPin(t, dir, tc.tag, pinDigest, writeFile(t, tc.sums))
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr on success: %q", stderr)
			}
			if !strings.Contains(stdout, pinDigest) || !strings.Contains(stdout, tc.tag) {
				t.Errorf("stdout does not say what was pinned:\n%s", stdout)
			}

			after := snapshot(t, dir)
			// snapshot's mode line first; git records no mode but the exec bit.
			if _, got, _ := strings.Cut(after["binary/SHA256SUMS"], "\n"); got != pinSums {
				t.Errorf("binary/SHA256SUMS =\n%s\nwant\n%s", got, pinSums)
			}
			edits := map[string][2]string{
				"action.yml":        {"  image: Dockerfile", "  image: docker://ghcr.io/mos-tools/publisher-keys@" + pinDigest},
				"binary/action.yml": {`        PUBLISHER_KEYS_RELEASE: ""`, `        PUBLISHER_KEYS_RELEASE: "` + tc.tag + `"`},
			}
			for f, b := range before {
				a, ok := after[f]
				if !ok {
					t.Errorf("%s is gone", f)
					continue
				}
				want, edited := edits[f]
				if !edited {
					if a != b {
						t.Errorf("%s changed; pin-release.sh must not touch it", f)
					}
					continue
				}
				if diff := cmp.Diff([][2]string{want}, changedLines(t, f, b, a)); diff != "" {
					t.Errorf("%s: changed lines (-want +got):\n%s", f, diff)
				}
			}
			for f := range after {
				if _, ok := before[f]; !ok && f != "binary/SHA256SUMS" {
					t.Errorf("pin-release.sh left %s behind", f)
				}
			}

			root := readActionMeta(t, filepath.Join(dir, "action.yml"))
			if want := "docker://ghcr.io/mos-tools/publisher-keys@" + pinDigest; root.Runs.Using != "docker" || root.Runs.Image != want {
				t.Errorf("pinned action.yml runs: using %q, image %q; want docker, %s", root.Runs.Using, root.Runs.Image, want)
			}
			checkBinaryAction(t, dir, tc.tag)

			// A release tree is not a main tree: a second run refuses and
			// changes nothing.
			_, stderr, code = runPin(t, dir, tc.tag, pinDigest, writeFile(t, tc.sums))
			if code != 1 || !strings.Contains(stderr, "already a release commit") {
				t.Errorf("second run: exit %d, stderr %q; want exit 1 saying it is already a release commit", code, stderr)
			}
			if diff := cmp.Diff(after, snapshot(t, dir)); diff != "" {
				t.Errorf("the refused second run changed the tree:\n%s", diff)
			}
		})
	}
}

// TestPinReleaseRefuses: a malformed tag, digest or SUMS exits 2 with a
// message saying what was wrong, and leaves the tree as it was.
func TestPinReleaseRefuses(t *testing.T) {
	t.Parallel()

	lines := strings.Split(strings.TrimSuffix(pinSums, "\n"), "\n")
	without := func(i int) string {
		return strings.Join(append(append([]string(nil), lines[:i]...), lines[i+1:]...), "\n") + "\n"
	}
	replace := func(i int, line string) string {
		l := append([]string(nil), lines...)
		l[i] = line
		return strings.Join(l, "\n") + "\n"
	}
	const sumsArg = "<sums>" // replaced by the path of the case's SUMS file
	cases := []struct {
		name string
		args []string
		sums string
		want string
	}{
		{"no arguments", nil, pinSums, "want 3 arguments, got 0"},
		{"four arguments", []string{"v1.2.3", pinDigest, sumsArg, "extra"}, pinSums, "want 3 arguments, got 4"},
		{"tag without v", []string{"1.2.3", pinDigest, sumsArg}, pinSums, "TAG 1.2.3 is not a release tag"},
		{"major tag", []string{"v1", pinDigest, sumsArg}, pinSums, "TAG v1 is not a release tag"},
		{"two numbers", []string{"v1.2", pinDigest, sumsArg}, pinSums, "TAG v1.2 is not a release tag"},
		{"four numbers", []string{"v1.2.3.4", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"leading zero", []string{"v1.02.3", pinDigest, sumsArg}, pinSums, "numbers without leading zeros"},
		{"empty pre-release", []string{"v1.2.3-", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"empty identifier", []string{"v1.2.3-rc..1", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"build metadata", []string{"v1.2.3+build", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"quote in tag", []string{`v1.2.3-a"b`, pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"space in tag", []string{"v1.2.3-rc 1", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"newline in tag", []string{"v1.2.3\n", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"empty tag", []string{"", pinDigest, sumsArg}, pinSums, "is not a release tag"},
		{"digest without algorithm", []string{"v1.2.3", strings.TrimPrefix(pinDigest, "sha256:"), sumsArg}, pinSums, "is not an image digest"},
		{"digest too short", []string{"v1.2.3", pinDigest[:len(pinDigest)-1], sumsArg}, pinSums, "is not an image digest"},
		{"digest too long", []string{"v1.2.3", pinDigest + "0", sumsArg}, pinSums, "is not an image digest"},
		{"digest in capitals", []string{"v1.2.3", "sha256:" + strings.ToUpper(pinDigest[7:]), sumsArg}, pinSums, "is not an image digest"},
		{"other algorithm", []string{"v1.2.3", "sha512:" + pinDigest[7:], sumsArg}, pinSums, "is not an image digest"},
		{"image reference", []string{"v1.2.3", "ghcr.io/mos-tools/publisher-keys@" + pinDigest, sumsArg}, pinSums, "is not an image digest"},
		{"no SUMS file", []string{"v1.2.3", pinDigest, "/nonexistent/SHA256SUMS"}, pinSums, "is not a readable file"},
		{"empty SUMS", []string{"v1.2.3", pinDigest, sumsArg}, "", "SUMS has no line for publisher-keys-darwin-amd64"},
		{"a binary missing", []string{"v1.2.3", pinDigest, sumsArg}, without(3), "SUMS has no line for publisher-keys-linux-arm64"},
		{"paths instead of names", []string{"v1.2.3", pinDigest, sumsArg}, strings.ReplaceAll(pinSums, "  publisher", "  dist/publisher"), "by bare name"},
		{"short hash", []string{"v1.2.3", pinDigest, sumsArg}, replace(1, lines[1][1:]), "SUMS line 2 for publisher-keys-darwin-arm64 is malformed"},
		{"hash in capitals", []string{"v1.2.3", pinDigest, sumsArg}, replace(2, strings.ToUpper(lines[2][:64])+lines[2][64:]), "SUMS line 3 for publisher-keys-linux-amd64 is malformed"},
		{"one space", []string{"v1.2.3", pinDigest, sumsArg}, replace(0, strings.Replace(lines[0], "  ", " ", 1)), "SUMS line 1 for publisher-keys-darwin-amd64 is malformed"},
		{"trailing text", []string{"v1.2.3", pinDigest, sumsArg}, replace(0, "x "+lines[0]), "is malformed"},
		{"listed twice", []string{"v1.2.3", pinDigest, sumsArg}, pinSums + fakeSHA256("other") + "  publisher-keys-linux-amd64\n", "SUMS lists publisher-keys-linux-amd64 twice (lines 3 and 5)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := pinCopy(t)
			before := snapshot(t, dir)
			args := append([]string(nil), tc.args...)
			for i, a := range args {
				if a == sumsArg {
					args[i] = writeFile(t, tc.sums)
				}
			}
			stdout, stderr, code := runPin(t, dir, args...)
			if code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q does not say %q", stderr, tc.want)
			}
			if stdout != "" {
				t.Errorf("stdout on refusal: %q", stdout)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("a refused run changed the tree:\n%s", diff)
			}
		})
	}
}

// pinnedWorkflow uses both actions of a tree, with inputs and outputs of
// each, as a user's workflow would.
const pinnedWorkflow = `name: Uses both actions
on: push
permissions: {}
jobs:
  linux:
    runs-on: ubuntu-latest
    steps:
      - id: keys
        uses: ./
        with:
          asc-key: ${{ secrets.ASC_KEY }}
          asc-key-id: ABCDE12345
          asc-issuer-id: 57246542-96fe-1a63-e053-0824d011072a
          mode: check
      - run: echo "$FINGERPRINT"
        env:
          FINGERPRINT: ${{ steps.keys.outputs.asc-fingerprint }}
  macos:
    runs-on: macos-latest
    steps:
      - id: keys
        uses: ./binary
        with:
          asc-key: ${{ secrets.ASC_KEY }}
          asc-key-id: ABCDE12345
          asc-issuer-id: 57246542-96fe-1a63-e053-0824d011072a
          binary-download-url: https://mirror.example/publisher-keys
      - run: echo "$FINGERPRINT $RESULTS"
        env:
          FINGERPRINT: ${{ steps.keys.outputs.asc-fingerprint }}
          RESULTS: ${{ steps.keys.outputs.results }}
`

// TestPinReleaseActionlint: actionlint, which reads the metadata of local
// actions, accepts a workflow using both pinned actions, and refuses one
// passing inputs or reading outputs they do not have (so it did read them).
// scripts/pin-release-test.sh, which .ci/run calls, sets ACTIONLINT to the
// actionlint scripts/lint.sh installs, so CI never skips this.
func TestPinReleaseActionlint(t *testing.T) {
	t.Parallel()
	actionlint := os.Getenv("ACTIONLINT")
	if actionlint == "" {
		t.Skip("ACTIONLINT is not set; scripts/pin-release-test.sh sets it to the actionlint scripts/lint.sh installs")
	}

	wrong := strings.NewReplacer(
		"mode: check", "binary-download-url: https://mirror.example", // not an input of the Docker action
		"binary-download-url: https://mirror.example/publisher-keys", "no-such-input: x",
		"outputs.results", "outputs.no-such-output",
	).Replace(pinnedWorkflow)
	cases := []struct {
		name     string
		pin      bool
		workflow string
		want     []string // nothing: accepted
	}{
		{"main tree", false, pinnedWorkflow, nil},
		{"pinned tree", true, pinnedWorkflow, nil},
		{"pinned tree, wrong inputs and outputs", true, wrong, []string{
			`input "binary-download-url" is not defined in action "mos. publisher keys" defined at "./"`,
			`input "no-such-input" is not defined in action "mos. publisher keys (binary)" defined at "./binary"`,
			`property "no-such-output" is not defined`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := pinCopy(t)
			if tc.pin {
				if _, stderr, code := runPin(t, dir, "v1.2.3", pinDigest, writeFile(t, pinSums)); code != 0 {
					t.Fatalf("pin-release.sh: exit %d: %s", code, stderr)
				}
			}
			// actionlint resolves ./ against the repository: a folder with
			// .git and .github/workflows.
			wf := filepath.Join(dir, ".github", "workflows", "uses.yml")
			if err := os.MkdirAll(filepath.Dir(wf), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(wf, []byte(tc.workflow), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, actionlint, "-no-color", "-shellcheck=", "-pyflakes=", ".github/workflows/uses.yml")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatalf("actionlint: %v\n%s", err, out)
				}
				return
			}
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("actionlint: %v, want exit 1 (errors found)\n%s", err, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("actionlint did not report %q:\n%s", w, out)
				}
			}
		})
	}
}
