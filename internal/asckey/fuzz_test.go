package asckey

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var writeSeeds = flag.Bool("seeds", false, "rewrite the FuzzParse seed corpus in testdata/fuzz/FuzzParse/ (throwaway keys)")

// TestWriteFuzzSeeds writes the seed corpus: every accepted form of one
// throwaway key, and every rejection. go test -run TestWriteFuzzSeeds -seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -seeds to rewrite the corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var inputs []struct{ name, in string }
	for _, tc := range acceptedForms(t, newTestKey(t)) {
		inputs = append(inputs, struct{ name, in string }{"accept " + tc.name, tc.in})
	}
	for _, tc := range rejections(t) {
		if len(tc.in) > 4096 {
			continue
		}
		inputs = append(inputs, struct{ name, in string }{"reject " + tc.name, tc.in})
	}
	unsafe := regexp.MustCompile(`[^a-z0-9]+`)
	for _, in := range inputs {
		name := strings.Trim(unsafe.ReplaceAllString(strings.ToLower(in.name), "-"), "-")
		data := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", in.in)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func FuzzParse(f *testing.F) {
	// The corpus in testdata/fuzz/FuzzParse holds every form; these few
	// keep the fuzzer useful if it is ever lost.
	k := newTestKey(f)
	apple := pemOf("PRIVATE KEY", k.appleDER)
	for _, s := range []string{apple, b64([]byte(apple)), strings.ReplaceAll(apple, "\n", `\n`), pemOf("EC PRIVATE KEY", k.sec1DER), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		key, err := Parse(raw)
		lines := SecretLines(raw, key)
		for _, l := range lines {
			if l == "" || isArmourLine(l) || len(l) < minMaterialLine {
				t.Fatalf("SecretLines registered %q", l)
			}
		}
		if err != nil {
			var ie *IntakeError
			if !errors.As(err, &ie) || ie.Reason == "" || ie.Error() == "" {
				t.Fatalf("error %T %q is not a complete *IntakeError", err, err)
			}
			if piece, leak := leaked(ie.Error(), raw); leak {
				t.Fatalf("error quotes the input (%q): %s", piece, ie.Error())
			}
			return
		}
		again, err := Parse(key.PKCS8PEM)
		if err != nil {
			t.Fatalf("PKCS8PEM does not parse again: %v", err)
		}
		if again.Fingerprint != key.Fingerprint || again.PKCS8PEM != key.PKCS8PEM || again.Form != "PEM (PKCS#8)" {
			t.Fatalf("PKCS8PEM parses to another key or form: %q", again.Form)
		}
		if _, leak := leaked(key.Form, raw); leak {
			t.Fatalf("Form quotes the input: %q", key.Form)
		}
		registered := map[string]bool{}
		for _, l := range lines {
			registered[l] = true
		}
		for _, l := range strings.Split(strings.TrimSpace(key.PKCS8PEM), "\n") {
			if !isArmourLine(l) && !registered[l] {
				t.Fatalf("PEM body line not in SecretLines")
			}
		}
	})
}
