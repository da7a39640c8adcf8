package playkey_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// FuzzParse feeds Parse what a secret could hold. The seeds in
// testdata/fuzz/FuzzParse carry no key material (secret scanners flag even
// throwaway service-account keys in a repository); the seeds added here carry
// a key generated for this run, in the forms Parse accepts.
func FuzzParse(f *testing.F) {
	key := rsaKey(f)
	pemText := pkcs8PEM(f, key)
	base := keyFile(f, pemText)
	for _, s := range []string{
		base,
		b64(base),
		wrap76(b64(base)),
		quote(base),
		b64(quote(base)),
		strings.Replace(base, quote(pemText), quote(strings.ReplaceAll(pemText, "\n", `\n`)), 1),
		keyFile(f, strings.ReplaceAll(strings.TrimSpace(pemText), "\n", " ")),
		keyFile(f, pkcs1PEM(f, key)),
		keyFile(f, pemText, field{"token_uri", "http://127.0.0.1:9/token"}),
		pkcs8PEM(f, ecKey(f)),
	} {
		f.Add(s)
	}
	longRun := regexp.MustCompile(`[A-Za-z0-9+/=_-]{40,}`)
	f.Fuzz(func(t *testing.T, raw string) {
		k, err := playkey.Parse(raw)
		masks := playkey.SecretLines(raw, k)
		for _, m := range masks {
			if strings.ContainsAny(m, "\r\n") {
				t.Fatalf("mask spans lines")
			}
		}
		if err != nil {
			var ie *playkey.IntakeError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T is not an *IntakeError", err)
			}
			if title, msg := action.Explain(err); title == "" || msg == "" || ie.Error() == "" {
				t.Fatal("empty title or message")
			}
			if ie.Kind != playkey.KindTokenURI && longRun.MatchString(ie.Error()) {
				t.Fatalf("message carries encoded input: %q", ie.Error())
			}
			return
		}
		if k.Private == nil || !strings.HasPrefix(k.Fingerprint, "SHA256:") || len(k.JSON) == 0 {
			t.Fatalf("incomplete key: %+v", k)
		}
		for _, s := range []string{k.ClientEmail, k.PrivateKeyID, k.ProjectID, k.Form} {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
				t.Fatalf("identifier with a control character: %q", s)
			}
		}
		again, err := playkey.Parse(string(k.JSON))
		if err != nil {
			t.Fatalf("canonical JSON does not parse: %v", err)
		}
		if again.Fingerprint != k.Fingerprint || string(again.JSON) != string(k.JSON) || again.ClientEmail != k.ClientEmail {
			t.Fatal("canonical JSON does not read back as itself")
		}
	})
}
