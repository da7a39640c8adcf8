package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// playConcurrencyGroup is the one concurrency group of every example that
// uses the Play service account, so that copies of them never overlap.
const playConcurrencyGroup = "mos-play-service-account"

// TestExamplesShareThePlayConcurrencyGroup keeps docs/examples/ (and so the
// README, which shows them verbatim) in step: a workflow that gives the
// action play-service-account declares concurrency group
// mos-play-service-account, for the whole workflow.
func TestExamplesShareThePlayConcurrencyGroup(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("docs/examples/*.yml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no example files: %v", err)
	}
	type step struct {
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
	}
	type concurrency struct {
		Group string `yaml:"group"`
	}
	var withPlay int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			// concurrency is a string (the group) or a mapping.
			Concurrency yaml.Node `yaml:"concurrency"`
			Jobs        map[string]struct {
				Steps []step `yaml:"steps"`
			} `yaml:"jobs"`
		}
		if err := yaml.Unmarshal(b, &wf); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		usesPlay := false
		for _, job := range wf.Jobs {
			for _, s := range job.Steps {
				if strings.HasPrefix(s.Uses, "mos-tools/publisher-keys") && (s.With["play-service-account"] != "" || s.With["play-service-account-file"] != "") {
					usesPlay = true
				}
			}
		}
		if !usesPlay {
			continue
		}
		withPlay++
		group := wf.Concurrency.Value
		if wf.Concurrency.Kind == yaml.MappingNode {
			var c concurrency
			if err := wf.Concurrency.Decode(&c); err != nil {
				t.Fatalf("%s: concurrency: %v", f, err)
			}
			group = c.Group
		}
		if group != playConcurrencyGroup {
			t.Errorf("%s uses the Play service account with concurrency group %q, want %q (the same in every such example)", f, group, playConcurrencyGroup)
		}
	}
	if withPlay == 0 {
		t.Error("no example uses play-service-account; the check did not run")
	}
}
