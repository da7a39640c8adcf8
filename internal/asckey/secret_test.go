package asckey

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

func TestSecretLinesAcceptedForms(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	material := []string{b64(k.appleDER), b64(k.sec1DER), b64(k.goDER),
		base64.RawURLEncoding.EncodeToString(k.appleDER)}
	for _, tc := range acceptedForms(t, k) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			lines := SecretLines(tc.in, key)
			checkLineRules(t, lines)
			set := map[string]bool{}
			for _, l := range lines {
				set[l] = true
			}
			want := []string{b64(k.appleDER), b64(k.sec1DER)}
			for _, l := range strings.Split(key.PKCS8PEM, "\n") {
				if l != "" && !strings.HasPrefix(l, "-----") {
					want = append(want, l)
				}
			}
			for _, w := range want {
				if !set[w] {
					t.Errorf("missing %d-character line of the normalised key", len(w))
				}
			}
			// Whatever a workflow could print: the value, the value through
			// an unquoted `echo $ASC_KEY`, the normalised PEM, and the
			// decoded content of a base64 value.
			logs := []string{tc.in, strings.Join(strings.Fields(tc.in), " "), key.PKCS8PEM}
			if d, err := base64.StdEncoding.DecodeString(compact(strings.Trim(tc.in, `"`))); err == nil {
				logs = append(logs, string(d))
			}
			for i, log := range logs {
				masked := mask(log, lines)
				for _, m := range append(material, base64Runs(tc.in, 16)...) {
					if piece, leak := leaked(masked, m); leak {
						t.Errorf("log %d leaks %q after masking:\n%s", i, piece, masked)
						break
					}
				}
			}
		})
	}
}

// armourText is every BEGIN and END line a key may come with: no piece of
// it may be registered. (A short piece of base64 in capitals, such as the
// 4-character tail of a body, may.)
const armourText = "-----BEGIN PRIVATE KEY----- -----END PRIVATE KEY----- -----BEGIN EC PRIVATE KEY----- " +
	"-----END EC PRIVATE KEY----- -----BEGIN EC PARAMETERS----- -----END EC PARAMETERS-----"

// checkLineRules: no PEM armour, nothing too short to mask sensibly, no
// duplicates.
func checkLineRules(t *testing.T, lines []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range lines {
		switch {
		case seen[l]:
			t.Errorf("duplicate line %q", l[:min(len(l), 4)])
		case isArmourLine(l):
			t.Errorf("PEM armour line registered: %q", l)
		case len(l) < minMaterialLine:
			t.Errorf("line of %d characters registered", len(l))
		case len(l) < minSecretLine && !isBase64Text(l):
			t.Errorf("short non-base64 line registered: %q", l)
		case strings.Contains(armourText, l):
			t.Errorf("PEM armour fragment registered: %q", l)
		case strings.TrimSpace(l) != l:
			t.Errorf("untrimmed line registered")
		}
		seen[l] = true
	}
}

func TestSecretLinesWithoutKey(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	apple := pemOf("PRIVATE KEY", k.appleDER)
	// One character of the private number changed: Parse rejects it, but
	// it is still nearly the whole key.
	mangled := []byte(apple)
	mangled[strings.Index(apple, "AQQg")+10] ^= 1
	rsaDER, _ := pemDecode(readTestdata(t, "rsa_pkcs8.p8"))
	sa, _ := json.Marshal(map[string]string{"type": "service_account", "private_key": readTestdata(t, "rsa_pkcs8.p8")})
	body := b64(k.appleDER)

	cases := []struct {
		name     string
		in       string
		material []string
	}{
		{"mangled PEM", string(mangled), []string{compact(strings.Join(strings.Split(string(mangled), "\n")[1:5], ""))}},
		{"cut PEM", apple[:150], []string{compact(apple[28:150])}},
		{"RSA key", readTestdata(t, "rsa_pkcs8.p8"), []string{b64(rsaDER)}},
		{"service account JSON", string(sa), []string{b64(rsaDER)}},
		{"cut base64 of the file", wrap(b64([]byte(apple))[:200], 76, "\n"), []string{b64([]byte(apple))[:200]}},
		{"body wrapped with a 4-character tail", wrap(body, 49, "\n"), []string{body}},
		{"encrypted", readTestdata(t, "p256_legacy_encrypted.pem"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lines := SecretLines(tc.in, nil)
			checkLineRules(t, lines)
			if len(lines) == 0 {
				t.Fatal("no lines")
			}
			unescaped := strings.ReplaceAll(tc.in, `\n`, "\n")
			for _, log := range []string{tc.in, unescaped, strings.Join(strings.Fields(unescaped), " ")} {
				masked := mask(log, lines)
				for _, m := range append(tc.material, base64Runs(unescaped, 16)...) {
					if piece, leak := leaked(masked, m); leak {
						t.Errorf("leaks %q after masking:\n%s", piece, masked)
						break
					}
				}
			}
		})
	}
}

// Masks must not garble ordinary log lines, whatever form the key came in.
func TestSecretLinesLeaveLogsReadable(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	for _, tc := range acceptedForms(t, k) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			// The body of EC PARAMETERS and the last line of SEC 1 without
			// point (the end of the curve's name) are the same for every
			// P-256 key.
			log := "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n-----BEGIN EC PRIVATE KEY-----\n" +
				"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\nAwEH\n" +
				"} ----- \" key: value PRIVATE KEY BEGIN END EC PARAMETERS\n" +
				"Key ID ABCDE12345, fingerprint " + key.Fingerprint + ", form " + key.Form + "\n"
			if got := mask(log, SecretLines(tc.in, key)); got != log {
				t.Errorf("log garbled by masks:\n%s", got)
			}
		})
	}
}

// SecretLines runs once per run; this is its cost for the usual forms.
func BenchmarkSecretLines(b *testing.B) {
	k := newTestKey(b)
	apple := pemOf("PRIVATE KEY", k.appleDER)
	for _, bc := range []struct{ name, in string }{
		{"PEM", apple},
		{"base64 of the file", wrap(b64([]byte(apple)), 76, "\n")},
		{"SEC1", pemOf("EC PRIVATE KEY", k.sec1DER)},
	} {
		key, err := Parse(bc.in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = SecretLines(bc.in, key)
			}
		})
	}
}
