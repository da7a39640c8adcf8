package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
)

// repoRoot is the repository, seen from this package's folder.
const repoRoot = "."

// downloadURL is binary-download-url's default: the GitHub releases of this
// repository, as contract9 names it.
const downloadURL = "https://github.com/mos-tools/publisher-keys/releases/download"

// TestActionYMLMatchesCode keeps action.yml and the code from drifting: every
// input the code reads is declared with the same default, and every output
// the code sets is declared.
func TestActionYMLMatchesCode(t *testing.T) {
	t.Parallel()

	m := readActionMeta(t, filepath.Join(repoRoot, "action.yml"))
	defaults := map[string]string{}
	for _, k := range m.Inputs.Keys {
		if d := m.Inputs.Values[k].Default; d != nil {
			defaults[k] = *d
		}
	}
	if diff := cmp.Diff(action.InputNames, m.Inputs.Keys); diff != "" {
		t.Errorf("inputs in action.yml (-code +action.yml):\n%s", diff)
	}
	if diff := cmp.Diff(action.Defaults, defaults); diff != "" {
		t.Errorf("input defaults (-code +action.yml):\n%s", diff)
	}

	set := writtenOutputs(t)
	if diff := cmp.Diff(set, m.Outputs.Keys); diff != "" {
		t.Errorf("outputs (-code +action.yml):\n%s", diff)
	}
	if m.Runs.Using != "docker" || m.Runs.Image != "Dockerfile" {
		t.Errorf("runs: using %q, image %q; on main the action builds from the Dockerfile", m.Runs.Using, m.Runs.Image)
	}
}

// writtenOutputs runs the action with no inputs and returns the names it
// writes to GITHUB_OUTPUT, in order: every run writes every output, so these
// are the outputs the code sets.
func writtenOutputs(t *testing.T) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "output")
	env := map[string]string{"GITHUB_OUTPUT": file, "GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "summary")}
	_ = action.Run(t.Context(), testDeps(env, io.Discard))
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, heredoc := strings.Cut(lines[i], "<<")
		if !heredoc {
			if name, _, ok := strings.Cut(lines[i], "="); ok {
				names = append(names, name)
			}
			continue
		}
		for i++; i < len(lines) && lines[i] != delim; i++ {
		}
		names = append(names, name)
	}
	return names
}

// TestBinaryActionMatchesRoot keeps binary/action.yml a faithful twin of the
// root action: the same inputs and outputs (names, order, descriptions,
// defaults), plus binary-download-url, each input handed to the binary as
// INPUT_<NAME> and each output taken from the step that runs it.
func TestBinaryActionMatchesRoot(t *testing.T) {
	t.Parallel()
	checkBinaryAction(t, repoRoot, "")
}

// checkBinaryAction checks binary/action.yml under dir against dir's
// action.yml; release is what PUBLISHER_KEYS_RELEASE must hold ("" on main).
func checkBinaryAction(t *testing.T, dir, release string) {
	t.Helper()
	root := readActionMeta(t, filepath.Join(dir, "action.yml"))
	bin := readActionMeta(t, filepath.Join(dir, "binary", "action.yml"))

	if want := append(append([]string(nil), root.Inputs.Keys...), "binary-download-url"); !cmp.Equal(want, bin.Inputs.Keys) {
		t.Errorf("binary/action.yml inputs (-root action.yml plus binary-download-url +binary):\n%s", cmp.Diff(want, bin.Inputs.Keys))
	}
	for _, k := range root.Inputs.Keys {
		if diff := cmp.Diff(root.Inputs.Values[k], bin.Inputs.Values[k]); diff != "" {
			t.Errorf("input %s differs (-root +binary):\n%s", k, diff)
		}
	}
	dl := bin.Inputs.Values["binary-download-url"]
	if dl.Description == "" || dl.Default == nil || *dl.Default != downloadURL || dl.Required == nil || *dl.Required {
		t.Errorf("input binary-download-url = %+v; want a description, required: false, default %s", dl, downloadURL)
	}
	runSh, err := os.ReadFile(filepath.Join(dir, "binary", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(runSh), "\ndefault_download_url="+downloadURL+"\n") {
		t.Errorf("binary/run.sh does not fall back to %s when binary-download-url is empty", downloadURL)
	}

	if !cmp.Equal(root.Outputs.Keys, bin.Outputs.Keys) {
		t.Errorf("binary/action.yml outputs (-root +binary):\n%s", cmp.Diff(root.Outputs.Keys, bin.Outputs.Keys))
	}
	for _, k := range root.Outputs.Keys {
		got := bin.Outputs.Values[k]
		want := metaOutput{Description: root.Outputs.Values[k].Description, Value: "${{ steps.run.outputs." + k + " }}"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("output %s (-want +binary):\n%s", k, diff)
		}
	}

	if bin.Runs.Using != "composite" || len(bin.Runs.Steps) != 1 {
		t.Fatalf("binary/action.yml runs: using %q with %d steps; want composite with the one step that runs the binary", bin.Runs.Using, len(bin.Runs.Steps))
	}
	step := bin.Runs.Steps[0]
	if step.ID != "run" || step.Shell != "bash" || step.Run != `bash "$GITHUB_ACTION_PATH/run.sh"` {
		t.Errorf("step: id %q, shell %q, run %q; want id run, shell bash, run: bash \"$GITHUB_ACTION_PATH/run.sh\"", step.ID, step.Shell, step.Run)
	}
	wantEnv := map[string]string{"PUBLISHER_KEYS_RELEASE": release}
	for _, k := range bin.Inputs.Keys {
		wantEnv["INPUT_"+strings.ToUpper(k)] = "${{ inputs." + k + " }}"
	}
	if diff := cmp.Diff(wantEnv, step.Env.Values); diff != "" {
		t.Errorf("the step's env (-want +binary/action.yml):\n%s", diff)
	}
	// pin-release.sh edits this one line.
	raw, err := os.ReadFile(filepath.Join(dir, "binary", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(regexp.MustCompile(`(?m)^ +PUBLISHER_KEYS_RELEASE: "[^"]*"$`).FindAll(raw, -1)); n != 1 {
		t.Errorf("binary/action.yml has %d lines PUBLISHER_KEYS_RELEASE: \"…\"; pin-release.sh needs exactly one", n)
	}
}
