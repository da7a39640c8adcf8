package playkey_test

import (
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/playkey"
)

func TestParseAcceptsEveryForm(t *testing.T) {
	t.Parallel()
	key := rsaKey(t)
	pemText := pkcs8PEM(t, key)
	base := keyFile(t, pemText)
	// Unpadded base64 needs a length that is not a multiple of 3.
	padded := base
	if len(padded)%3 == 0 {
		padded += "\n"
	}
	std := b64(base)
	// Base64 of ASCII text holds - or _ (URL alphabet) only where a '>', '?'
	// or '~' ends a 3-byte group, so one field adds some.
	withMarks := keyFile(t, pemText, field{"zz_note", "???"})
	if len(withMarks)%3 == 0 {
		withMarks += "\n"
	}
	url := base64.URLEncoding.EncodeToString([]byte(withMarks))
	if !strings.ContainsAny(url, "-_") {
		t.Fatal("test key file encodes without - or _; the base64url case would test nothing")
	}
	oneLinePEM := strings.ReplaceAll(strings.TrimSpace(pemText), "\n", " ")
	noBreakPEM := strings.ReplaceAll(strings.TrimSpace(pemText), "\n", "")
	body := strings.Join(strings.Split(strings.TrimSpace(pemText), "\n")[1:strings.Count(strings.TrimSpace(pemText), "\n")], "")
	// A key file whose \n escapes were doubled: the JSON string holds a
	// backslash and an n where the line breaks belong.
	doubled := strings.Replace(base, quote(pemText), quote(strings.ReplaceAll(pemText, "\n", `\n`)), 1)
	// A key file passed through a tool that turned the \n escapes into line breaks.
	rawBreaks := strings.Replace(base, quote(pemText), `"`+pemText+`"`, 1)

	cases := []struct {
		name     string
		in       string
		form     string
		tokenURI string // default: Google's
		json     string // default: base
	}{
		{name: "JSON as downloaded", in: base, form: "JSON"},
		{name: "JSON with CRLF", in: strings.ReplaceAll(base, "\n", "\r\n"), form: "JSON"},
		{name: "JSON with BOM", in: "\uFEFF" + base, form: "JSON; with a byte-order mark"},
		{name: "JSON with blank lines around", in: "\n\n  " + base + "\n\n", form: "JSON"},
		{name: "JSON minified on one line", in: strings.ReplaceAll(base, "\n", ""), form: "JSON"},
		{name: "JSON in single quotes", in: "'" + base + "'", form: "quoted JSON"},
		{name: "base64 on one line", in: std, form: "base64 of JSON"},
		{name: "base64 line-wrapped", in: wrap76(std), form: "base64 (line-wrapped) of JSON"},
		{name: "base64 without padding", in: base64.RawStdEncoding.EncodeToString([]byte(padded)), form: "base64 of JSON"},
		{name: "base64url", in: url, form: "base64url of JSON", json: keyFile(t, pemText, field{"zz_note", "???"})},
		{name: "base64url without padding", in: base64.RawURLEncoding.EncodeToString([]byte(withMarks)), form: "base64url of JSON", json: keyFile(t, pemText, field{"zz_note", "???"})},
		{name: "base64url of a plain key file is plain base64", in: base64.URLEncoding.EncodeToString([]byte(base)), form: "base64 of JSON"},
		{name: "base64 with BOM and CRLF", in: "\uFEFF" + strings.ReplaceAll(wrap76(std), "\n", "\r\n"), form: "base64 (line-wrapped) of JSON; with a byte-order mark"},
		{name: "base64 of JSON with BOM", in: b64("\uFEFF" + base), form: "base64 of JSON; with a byte-order mark"},
		{name: "base64 in quotes", in: quote(std), form: "JSON string of base64 of JSON"},
		{name: "JSON wrapped in a JSON string", in: quote(base), form: "JSON string of JSON"},
		{name: "JSON string of minified JSON", in: quote(strings.ReplaceAll(base, "\n", "")), form: "JSON string of JSON"},
		{name: "base64 of a JSON string of JSON", in: b64(quote(base)), form: "base64 of JSON string of JSON"},
		{name: "private_key with doubled escapes", in: doubled, form: `JSON; private_key with literal \n escapes (doubled \\n in the JSON)`},
		{name: "base64 of doubled escapes", in: b64(doubled), form: `base64 of JSON; private_key with literal \n escapes (doubled \\n in the JSON)`},
		{name: "raw line breaks inside the JSON string", in: rawBreaks, form: "JSON; raw line breaks inside JSON strings"},
		{name: "private_key on one line with spaces", in: keyFile(t, oneLinePEM), form: "JSON; private_key PEM without line breaks"},
		{name: "private_key on one line without breaks", in: keyFile(t, noBreakPEM), form: "JSON; private_key PEM without line breaks"},
		{name: "private_key with CRLF", in: keyFile(t, strings.ReplaceAll(pemText, "\n", "\r\n")), form: "JSON"},
		{name: "private_key without BEGIN/END lines", in: keyFile(t, body), form: "JSON; private_key without BEGIN/END lines"},
		{name: "private_key as PKCS#1", in: keyFile(t, pkcs1PEM(t, key)), form: "JSON; PKCS#1 RSA PRIVATE KEY"},
		{
			name: "legacy token endpoint", form: "JSON",
			in:       keyFile(t, pemText, field{"token_uri", playkey.LegacyTokenURI}),
			tokenURI: playkey.LegacyTokenURI,
			json:     keyFile(t, pemText, field{"token_uri", playkey.LegacyTokenURI}),
		},
		{
			name: "loopback token endpoint", form: "JSON",
			in:       keyFile(t, pemText, field{"token_uri", "http://127.0.0.1:4567/token"}),
			tokenURI: "http://127.0.0.1:4567/token",
			json:     keyFile(t, pemText, field{"token_uri", "http://127.0.0.1:4567/token"}),
		},
		{
			name: "IPv6 loopback token endpoint", form: "JSON",
			in:       keyFile(t, pemText, field{"token_uri", "http://[::1]:80/token"}),
			tokenURI: "http://[::1]:80/token",
			json:     keyFile(t, pemText, field{"token_uri", "http://[::1]:80/token"}),
		},
		{
			name: "localhost token endpoint over https", form: "JSON",
			in:       keyFile(t, pemText, field{"token_uri", "https://localhost/token"}),
			tokenURI: "https://localhost/token",
			json:     keyFile(t, pemText, field{"token_uri", "https://localhost/token"}),
		},
		{
			name: "no token_uri means Google's", form: "JSON",
			in:   keyFile(t, pemText, field{"token_uri", nil}),
			json: keyFile(t, pemText, field{"token_uri", nil}),
		},
		{
			name: "unknown fields are kept after the known ones", form: "JSON",
			in:   keyFile(t, pemText, field{"zz_extra", map[string]any{"b": 1}}, field{"aa_extra", true}),
			json: strings.TrimSuffix(base, "\n}\n") + ",\n  \"aa_extra\": true,\n  \"zz_extra\": {\n    \"b\": 1\n  }\n}\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := playkey.Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			wantURI := tc.tokenURI
			if wantURI == "" {
				wantURI = playkey.GoogleTokenURI
			}
			wantJSON := tc.json
			if wantJSON == "" {
				wantJSON = base
			}
			got := struct{ Email, KeyID, Project, TokenURI, Fingerprint, Form string }{
				k.ClientEmail, k.PrivateKeyID, k.ProjectID, k.TokenURI, k.Fingerprint, k.Form,
			}
			want := struct{ Email, KeyID, Project, TokenURI, Fingerprint, Form string }{
				testEmail, testKeyID, "mos-publisher-test", wantURI, fingerprintOf(t, key), tc.form,
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantJSON, string(k.JSON)); diff != "" {
				t.Errorf("canonical JSON mismatch (-want +got):\n%s", diff)
			}
			if !k.Private.Equal(key) {
				t.Error("parsed private key differs from the one written")
			}
			// The canonical JSON reads back as itself.
			again, err := playkey.Parse(string(k.JSON))
			if err != nil {
				t.Fatalf("Parse(canonical JSON): %v", err)
			}
			if string(again.JSON) != string(k.JSON) || again.Form != "JSON" {
				t.Errorf("canonical JSON is not stable: form %q", again.Form)
			}
		})
	}
}

type refusal struct {
	name    string
	in      string
	kind    playkey.Kind
	message string // a phrase the message users read must contain
}

func refusals(t testing.TB) []refusal {
	key, ec := rsaKey(t), ecKey(t)
	pemText := pkcs8PEM(t, key)
	base := keyFile(t, pemText)
	p8 := pkcs8PEM(t, ec)
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	cutShort := strings.Join(lines[:len(lines)/2], "\n") + "\n-----END PRIVATE KEY-----\n"
	noEnd := strings.Join(lines[:len(lines)-1], "\n")
	edited := strings.Join(append(append(append([]string{}, lines[:5]...), "AAAA"+lines[5][4:]), lines[6:]...), "\n")
	encrypted := string(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte("not really encrypted, but labelled so")}))
	procType := string(pem.EncodeToMemory(&pem.Block{
		Type:    "RSA PRIVATE KEY",
		Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00112233445566778899AABBCCDDEEFF"},
		Bytes:   []byte("ciphertext"),
	}))
	publicPEM := func() string {
		der, err := x509MarshalPKIX(&key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	}()
	many := base
	for range 8 {
		many = b64(many)
	}

	return []refusal{
		{name: "empty", in: "", kind: playkey.KindEmpty, message: "Dependabot"},
		{name: "blank lines only", in: "\n \r\n\t", kind: playkey.KindEmpty, message: "forks"},
		{name: "BOM only", in: "\uFEFF", kind: playkey.KindEmpty},
		{name: "far too large", in: strings.Repeat("A", 70<<10), kind: playkey.KindTooLarge},
		{name: "plain text", in: "my service account key", kind: playkey.KindNotJSON, message: "neither JSON nor base64"},
		{name: "a file path", in: "./secrets/play.json", kind: playkey.KindNotJSON},
		{name: "JSON cut short", in: base[:len(base)/2], kind: playkey.KindNotJSON, message: "cut short"},
		{name: "JSON with a syntax error", in: strings.Replace(base, `"type":`, `"type"=`, 1), kind: playkey.KindNotJSON, message: "syntax error at byte"},
		{name: "JSON with trailing text", in: base + "trailing", kind: playkey.KindNotJSON},
		{name: "base64 of JSON cut short", in: b64(base)[:1000], kind: playkey.KindNotJSON},
		{name: "base64 of binary", in: base64.StdEncoding.EncodeToString([]byte{0, 1, 2, 3, 0xff, 0xfe}), kind: playkey.KindNotJSON},
		{name: "wrapped too many times", in: many, kind: playkey.KindNotJSON, message: "too many layers"},
		{name: "App Store Connect .p8", in: p8, kind: playkey.KindASCKey, message: "asc-key"},
		{name: "App Store Connect key as SEC1", in: sec1PEM(t, ec), kind: playkey.KindASCKey, message: "asc-key"},
		{name: "base64 of a .p8", in: b64(p8), kind: playkey.KindASCKey, message: "asc-key"},
		{name: "base64 body of a .p8 without armor", in: strings.Join(strings.Split(strings.TrimSpace(p8), "\n")[1:strings.Count(strings.TrimSpace(p8), "\n")], ""), kind: playkey.KindASCKey},
		{name: "EC key inside the JSON", in: keyFile(t, p8), kind: playkey.KindASCKey, message: "asc-key"},
		{name: "bare RSA private key", in: pemText, kind: playkey.KindBareKey, message: "whole JSON file"},
		{name: "bare PKCS#1 key", in: pkcs1PEM(t, key), kind: playkey.KindBareKey},
		{name: "public key instead of JSON", in: publicPEM, kind: playkey.KindNotJSON, message: "public key"},
		{name: "user credentials", in: `{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`, kind: playkey.KindWrongType, message: "authorized_user"},
		{name: "workload identity federation", in: `{"type":"external_account","audience":"//iam.googleapis.com/x"}`, kind: playkey.KindWrongType, message: "federation"},
		{name: "OAuth client file", in: `{"installed":{"client_id":"x.apps.googleusercontent.com","client_secret":"y"}}`, kind: playkey.KindWrongType, message: "OAuth client ID"},
		{name: "unknown type", in: keyFile(t, pemText, field{"type", "robot"}), kind: playkey.KindWrongType},
		{name: "no type", in: keyFile(t, pemText, field{"type", nil}), kind: playkey.KindMissingField, message: "service_account"},
		{name: "empty object", in: "{}", kind: playkey.KindMissingField},
		{name: "no client_email", in: keyFile(t, pemText, field{"client_email", nil}), kind: playkey.KindMissingField, message: "client_email"},
		{name: "no private_key_id", in: keyFile(t, pemText, field{"private_key_id", ""}), kind: playkey.KindMissingField, message: "private_key_id"},
		{name: "no private_key", in: keyFile(t, pemText, field{"private_key", nil}), kind: playkey.KindMissingField, message: "private_key"},
		{name: "several missing", in: `{"type":"service_account"}`, kind: playkey.KindMissingField, message: "client_email, private_key_id, private_key"},
		{name: "client_email is a number", in: keyFile(t, pemText, field{"client_email", 42}), kind: playkey.KindBadField, message: "client_email"},
		{name: "client_email with a line break", in: keyFile(t, pemText, field{"client_email", "a@b.example\n::warning::x"}), kind: playkey.KindBadField},
		{name: "private_key_id with spaces", in: keyFile(t, pemText, field{"private_key_id", "key id"}), kind: playkey.KindBadField, message: "private_key_id"},
		{name: "private_key cut short", in: keyFile(t, cutShort), kind: playkey.KindPrivateKey, message: "damaged"},
		{name: "private_key without END line", in: keyFile(t, noEnd), kind: playkey.KindPrivateKey, message: "cut short"},
		{name: "private_key edited", in: keyFile(t, edited), kind: playkey.KindPrivateKey},
		{name: "private_key not a key", in: keyFile(t, "hello"), kind: playkey.KindPrivateKey},
		{name: "private_key is a public key", in: keyFile(t, publicPEM), kind: playkey.KindPrivateKey, message: "public key"},
		{name: "private_key encrypted PKCS#8", in: keyFile(t, encrypted), kind: playkey.KindEncrypted},
		{name: "private_key encrypted PKCS#1", in: keyFile(t, procType), kind: playkey.KindEncrypted},
		{name: "private_key of 1024 bits", in: keyFile(t, pkcs8PEM(t, smallKey())), kind: playkey.KindPrivateKey, message: "1024-bit"},
		{name: "token_uri elsewhere", in: keyFile(t, pemText, field{"token_uri", "https://collector.example/token"}), kind: playkey.KindTokenURI, message: "collector.example"},
		{name: "token_uri lookalike host", in: keyFile(t, pemText, field{"token_uri", "https://oauth2.googleapis.com.evil.example/token"}), kind: playkey.KindTokenURI, message: "signed assertion"},
		{name: "token_uri over plain http", in: keyFile(t, pemText, field{"token_uri", "http://oauth2.googleapis.com/token"}), kind: playkey.KindTokenURI},
		{name: "token_uri with another path", in: keyFile(t, pemText, field{"token_uri", "https://oauth2.googleapis.com/token/../x"}), kind: playkey.KindTokenURI},
		{name: "token_uri with credentials", in: keyFile(t, pemText, field{"token_uri", "http://user:pw@127.0.0.1/token"}), kind: playkey.KindTokenURI},
		{name: "token_uri with a query", in: keyFile(t, pemText, field{"token_uri", "http://127.0.0.1/token?to=elsewhere"}), kind: playkey.KindTokenURI},
		{name: "token_uri with another scheme", in: keyFile(t, pemText, field{"token_uri", "ftp://127.0.0.1/token"}), kind: playkey.KindTokenURI},
		{name: "token_uri not a URL", in: keyFile(t, pemText, field{"token_uri", "%%%"}), kind: playkey.KindTokenURI, message: "another place"},
		// Once end-to-end cases of internal/action (issue 17).
		{name: "token_uri over plain http to another host", in: keyFile(t, pemText, field{"token_uri", "http://10.1.2.3/token"}), kind: playkey.KindTokenURI, message: "10.1.2.3"},
		{name: "no client_email and an empty private_key", in: keyFile(t, pemText, field{"client_email", nil}, field{"private_key", ""}), kind: playkey.KindMissingField, message: "client_email, private_key"},
	}
}

func TestParseRefuses(t *testing.T) {
	t.Parallel()
	base := keyFile(t, pkcs8PEM(t, rsaKey(t)))
	secrets := playkey.SecretLines(base, nil)
	longRun := regexp.MustCompile(`[A-Za-z0-9+/=_-]{40,}`)
	for _, tc := range refusals(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := playkey.Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse accepted the key (form %q)", k.Form)
			}
			var ie *playkey.IntakeError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T %v is not an *IntakeError", err, err)
			}
			if ie.Kind != tc.kind {
				t.Errorf("kind = %q, want %q (%v)", ie.Kind, tc.kind, err)
			}
			title, msg := action.Explain(err)
			if !strings.Contains(msg, tc.message) {
				t.Errorf("message %q does not contain %q", msg, tc.message)
			}
			if !strings.Contains(msg, ie.Found[1:]) {
				t.Errorf("message %q does not say what was found (%q)", msg, ie.Found)
			}
			if title == "" || strings.Contains(title, "\n") {
				t.Errorf("bad title %q", title)
			}
			msg += "\n" + err.Error()
			if run := longRun.FindString(msg); run != "" {
				t.Errorf("message carries a long encoded run %q", run)
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) {
					t.Errorf("message leaks a secret line")
				}
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite testdata/refusals.golden")

// The messages people will read, in one file, so that a change to any of
// them shows in review. go test -run TestParseRefusesGolden -update.
var syntaxErrorAt = regexp.MustCompile(`at byte [0-9]+`)

func TestParseRefusesGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, tc := range refusals(t) {
		_, err := playkey.Parse(tc.in)
		if err == nil {
			t.Fatalf("%s: accepted", tc.name)
		}
		title, msg := action.Explain(err)
		// The test key is made afresh each run, and an RSA key's PEM is not
		// always the same length: the byte a syntax error is found at moves.
		msg = syntaxErrorAt.ReplaceAllString(msg, "at byte N")
		fmt.Fprintf(&b, "## %s\n%s: %s\n\n", tc.name, title, msg)
	}
	golden := filepath.Join("testdata", "refusals.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("messages changed (-golden +got); run with -update if intended:\n%s", diff)
	}
}
