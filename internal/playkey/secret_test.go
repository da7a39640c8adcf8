package playkey_test

import (
	"crypto/x509"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/playkey"
)

func TestSecretLines(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	pemText := pkcs8PEM(t, key)
	base := keyFile(t, pemText)
	bodyLines := strings.Split(strings.TrimSpace(pemText), "\n")
	bodyLines = bodyLines[1 : len(bodyLines)-1]
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	privateKeyLine := "\"private_key\": " + quote(pemText) + ","
	wrapped := wrap76(b64(base))

	cases := []struct {
		name    string
		raw     string
		parsed  bool // give SecretLines the parsed key
		must    []string
		mustNot []string
	}{
		{
			name: "JSON, parsed", raw: base, parsed: true,
			must: append([]string{privateKeyLine, base64.StdEncoding.EncodeToString(der), b64(base)}, bodyLines...),
		},
		{
			name: "JSON, not parsed", raw: base,
			must: append([]string{privateKeyLine}, bodyLines...),
		},
		{
			name: "line-wrapped base64, parsed", raw: wrapped, parsed: true,
			must: append(append([]string{privateKeyLine}, strings.Fields(wrapped)[:10]...), bodyLines...),
		},
		{
			name: "line-wrapped base64, not parsed", raw: wrapped,
			must: append(append([]string{privateKeyLine}, strings.Fields(wrapped)[:10]...), bodyLines...),
		},
		{
			name: "JSON string of JSON, not parsed", raw: quote(base),
			must: append([]string{quote(base)}, bodyLines...),
		},
		{
			name: "doubled escapes, parsed", raw: strings.Replace(base, quote(pemText), quote(strings.ReplaceAll(pemText, "\n", `\n`)), 1), parsed: true,
			must: append([]string{privateKeyLine}, bodyLines...),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var k *playkey.Key
			if tc.parsed {
				var err error
				if k, err = playkey.Parse(tc.raw); err != nil {
					t.Fatal(err)
				}
			}
			got := playkey.SecretLines(tc.raw, k)
			for _, want := range tc.must {
				if !slices.Contains(got, strings.TrimSpace(want)) {
					t.Errorf("missing mask for a line of %d characters starting %.12q", len(want), want)
				}
			}
			for _, line := range got {
				switch {
				case strings.ContainsAny(line, "\r\n"):
					t.Errorf("mask %.20q spans lines", line)
				case len(line) < 8:
					t.Errorf("mask %q is too short to be worth it", line)
				case strings.HasPrefix(line, "-----") && strings.HasSuffix(line, "-----"):
					t.Errorf("mask %q is a PEM armor line", line)
				case line == testEmail || line == testKeyID || strings.Contains(line, `"client_email"`) && !strings.Contains(line, "PRIVATE KEY"):
					t.Errorf("mask %q hides a public identifier", line)
				case line == "{" || line == "}":
					t.Errorf("mask %q is JSON punctuation", line)
				}
			}
			// Every piece of the private key that a log could show is covered.
			for _, l := range bodyLines {
				if !slices.Contains(got, l) {
					t.Errorf("PEM body line not masked")
				}
			}
		})
	}
}

func TestSecretLinesWithoutKeyMaterial(t *testing.T) {
	t.Parallel()
	if got := playkey.SecretLines("", nil); len(got) != 0 {
		t.Errorf("SecretLines(\"\") = %q, want nothing", got)
	}
	got := playkey.SecretLines("{\n  \"type\": \"service_account\",\n  \"client_email\": \"a@b.example\"\n}\n", nil)
	if len(got) != 0 {
		t.Errorf("public fields masked: %q", got)
	}
}
