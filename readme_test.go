package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeWorkflowsAreExampleFiles keeps the README's workflows and
// docs/examples/ in step: every yaml block in the README is one of the
// example files verbatim (so actionlint, which checks the files, checks what
// users copy), and every example file is shown in the README.
func TestReadmeWorkflowsAreExampleFiles(t *testing.T) {
	t.Parallel()

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("docs/examples/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files: %v", err)
	}
	examples := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		examples[string(b)] = f
	}
	shown := map[string]bool{}
	for _, m := range regexp.MustCompile("(?s)```yaml\n(.*?)```\n").FindAllStringSubmatch(string(readme), -1) {
		f, ok := examples[m[1]]
		if !ok {
			first, _, _ := strings.Cut(m[1], "\n")
			t.Errorf("README workflow starting %q is not a file in docs/examples/ (copy it there or update the README)", first)
			continue
		}
		shown[f] = true
	}
	for _, f := range files {
		if !shown[f] {
			t.Errorf("%s is not shown in the README", f)
		}
	}
}
