package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// actionMeta is what GitHub reads from an action's metadata file
// (docs.github.com: "Metadata syntax for GitHub Actions"), for the two kinds
// this repository has: the Docker action at the root and the composite one in
// binary/. Unknown keys are errors, so a misspelt key fails here rather than
// being silently ignored by the runner.
type actionMeta struct {
	Name        string              `yaml:"name"`
	Description string              `yaml:"description"`
	Author      string              `yaml:"author"`
	Branding    map[string]string   `yaml:"branding"`
	Inputs      ordered[metaInput]  `yaml:"inputs"`
	Outputs     ordered[metaOutput] `yaml:"outputs"`
	Runs        metaRuns            `yaml:"runs"`
}

type metaInput struct {
	Description        string  `yaml:"description"`
	Required           *bool   `yaml:"required"`
	Default            *string `yaml:"default"`
	DeprecationMessage string  `yaml:"deprecationMessage"`
}

type metaOutput struct {
	Description string `yaml:"description"`
	Value       string `yaml:"value"` // composite actions only
}

type metaRuns struct {
	Using string `yaml:"using"`
	// docker
	Image      string            `yaml:"image"`
	Entrypoint string            `yaml:"entrypoint"`
	Args       []string          `yaml:"args"`
	Env        map[string]string `yaml:"env"`
	// composite
	Steps []metaStep `yaml:"steps"`
}

type metaStep struct {
	ID               string          `yaml:"id"`
	Name             string          `yaml:"name"`
	If               string          `yaml:"if"`
	Shell            string          `yaml:"shell"`
	Run              string          `yaml:"run"`
	Uses             string          `yaml:"uses"`
	With             ordered[string] `yaml:"with"`
	Env              ordered[string] `yaml:"env"`
	WorkingDirectory string          `yaml:"working-directory"`
	ContinueOnError  *bool           `yaml:"continue-on-error"`
}

// ordered is a YAML mapping that keeps its keys' order (the order of inputs
// is the order GitHub shows them in) and refuses duplicate keys.
type ordered[T any] struct {
	Keys   []string
	Values map[string]T
}

func (o *ordered[T]) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping, got %s", n.Line, kindName(n.Kind))
	}
	o.Values = map[string]T{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i].Value
		if _, dup := o.Values[k]; dup {
			return fmt.Errorf("line %d: %q is there twice", n.Content[i].Line, k)
		}
		var v T
		if err := strictDecode(n.Content[i+1], &v); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		o.Keys = append(o.Keys, k)
		o.Values[k] = v
	}
	return nil
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.ScalarNode:
		return "a scalar"
	case yaml.SequenceNode:
		return "a sequence"
	case yaml.AliasNode:
		return "an alias"
	}
	return "another node"
}

// strictDecode decodes n into v refusing unknown fields: Node.Decode would
// ignore them, so the node goes through a strict decoder again.
func strictDecode(n *yaml.Node, v any) error {
	b, err := yaml.Marshal(n)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	return dec.Decode(v)
}

// readActionMeta parses an action metadata file strictly and checks the
// structure GitHub needs to run it.
func readActionMeta(t *testing.T, path string) *actionMeta {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := parseActionMeta(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

var (
	inputNameRE  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)
	pinnedImage  = regexp.MustCompile(`^docker://ghcr\.io/mos-tools/publisher-keys@sha256:[0-9a-f]{64}$`)
	stepOutputRE = regexp.MustCompile(`^\$\{\{ steps\.([A-Za-z_][A-Za-z0-9_-]*)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*) \}\}$`)
)

func parseActionMeta(b []byte) (*actionMeta, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var m actionMeta
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("does not parse: %w", err)
	}
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if m.Name == "" || m.Description == "" {
		bad("name and description are required")
	}
	for _, k := range m.Inputs.Keys {
		in := m.Inputs.Values[k]
		if !inputNameRE.MatchString(k) {
			bad("input %q: not a valid input id", k)
		}
		if in.Description == "" {
			bad("input %q: no description", k)
		}
	}
	composite := m.Runs.Using == "composite"
	for _, k := range m.Outputs.Keys {
		out := m.Outputs.Values[k]
		if out.Description == "" {
			bad("output %q: no description", k)
		}
		if composite != (out.Value != "") {
			bad("output %q: a value is required in a composite action and not allowed otherwise", k)
		}
	}
	switch m.Runs.Using {
	case "docker":
		if m.Runs.Image != "Dockerfile" && !pinnedImage.MatchString(m.Runs.Image) {
			bad("runs.image %q: want Dockerfile or the image pinned by digest", m.Runs.Image)
		}
		if len(m.Runs.Steps) > 0 {
			bad("runs.steps in a Docker action")
		}
	case "composite":
		if m.Runs.Image != "" || len(m.Runs.Steps) == 0 {
			bad("a composite action has steps and no image")
		}
		ids := map[string]bool{}
		for i, s := range m.Runs.Steps {
			if (s.Run == "") == (s.Uses == "") {
				bad("step %d: needs exactly one of run and uses", i)
			}
			if s.Run != "" && s.Shell == "" {
				bad("step %d: a run step of a composite action needs shell", i)
			}
			if s.ID != "" {
				ids[s.ID] = true
			}
		}
		for _, k := range m.Outputs.Keys {
			if sm := stepOutputRE.FindStringSubmatch(m.Outputs.Values[k].Value); sm == nil || !ids[sm[1]] {
				bad("output %q: value %q is not an output of one of the steps", k, m.Outputs.Values[k].Value)
			}
		}
	default:
		bad("runs.using %q: want docker or composite", m.Runs.Using)
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return &m, nil
}
