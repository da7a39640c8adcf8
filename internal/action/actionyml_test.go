package action

import (
	"bufio"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// actionYML reads the input names, their defaults and the output names from
// action.yml. The file is ours and plain: two-space keys under inputs: and
// outputs:, four-space properties.
func actionYML(t *testing.T) (inputs []string, defaults map[string]string, outputs []string) {
	t.Helper()
	f, err := os.Open("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	defaults = map[string]string{}
	section, current := "", ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line != "" && !strings.HasPrefix(line, " "):
			section, _, _ = strings.Cut(line, ":")
		case strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":"):
			current = strings.TrimSuffix(strings.TrimSpace(line), ":")
			switch section {
			case "inputs":
				inputs = append(inputs, current)
			case "outputs":
				outputs = append(outputs, current)
			}
		case section == "inputs" && strings.HasPrefix(line, "    default:"):
			defaults[current] = strings.TrimSpace(strings.TrimPrefix(line, "    default:"))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return inputs, defaults, outputs
}

// TestActionYMLMatchesCode keeps action.yml and the code from drifting: every
// input the code reads is declared with the same default, and every output
// the code sets is declared.
func TestActionYMLMatchesCode(t *testing.T) {
	t.Parallel()

	inputs, defaults, outputs := actionYML(t)
	if diff := cmp.Diff(InputNames, inputs); diff != "" {
		t.Errorf("inputs in action.yml (-code +action.yml):\n%s", diff)
	}
	if diff := cmp.Diff(Defaults, defaults); diff != "" {
		t.Errorf("input defaults (-code +action.yml):\n%s", diff)
	}

	r := &run{cfg: &config{}, stores: []*store{{platform: "ios", ageDays: -1}, {platform: "android", ageDays: -1}}}
	var set []string
	for _, o := range r.outputs() {
		set = append(set, o[0])
	}
	if diff := cmp.Diff(set, outputs); diff != "" {
		t.Errorf("outputs (-code +action.yml):\n%s", diff)
	}
}
