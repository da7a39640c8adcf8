package playkey

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"regexp"
	"strings"
	"unicode/utf8"
)

// minSecretLine is the shortest line worth masking: shorter pieces carry no
// useful part of a key and would blank out common text in the log.
const minSecretLine = 8

var (
	// publicField matches a line of a key file that holds no secret; masking
	// it would hide the client_email and private_key_id the action reports.
	publicField = regexp.MustCompile(`^"(type|project_id|private_key_id|client_email|client_id|auth_uri|token_uri|auth_provider_x509_cert_url|client_x509_cert_url|universe_domain)"\s*:\s*("[^"\\]*"|[0-9]+|null|true|false)\s*,?$`)
	armorLine   = regexp.MustCompile(`^-----(BEGIN|END) [A-Z0-9 ]+-----$`)
	lineBreaks  = regexp.MustCompile(`\r\n|\r|\n|(\\+[nr])+`)
)

// SecretLines returns every string to register with ::add-mask:: before
// anything else is logged, one line each (a multi-line mask covers only its
// first line): the lines of the raw input and of every layer decoded from it
// (base64, JSON string), split at real line breaks and at \n escapes; and,
// when k is not nil, the PEM body lines of the private key, the base64 of its
// PKCS#8 and PKCS#1 DER on one line, the private key as it is written inside
// the canonical JSON, and the base64 of the canonical JSON. Lines that carry
// no secret are left out: PEM BEGIN/END lines, JSON punctuation and the
// public fields (client_email and private_key_id stay visible; they are
// outputs). k may be nil when Parse failed.
func SecretLines(raw string, k *Key) []string {
	var out []string
	seen := map[string]bool{}
	add := func(s string) {
		s = strings.TrimSpace(s)
		if len(s) < minSecretLine || seen[s] || !printable(s) || armorLine.MatchString(s) || publicField.MatchString(s) {
			return
		}
		if !strings.ContainsFunc(s, func(r rune) bool {
			return r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z'
		}) {
			return
		}
		seen[s] = true
		out = append(out, s)
	}
	addLines := func(text string) {
		// Whole lines first, as a log would show them, then the pieces
		// between \n escapes (the PEM lines inside a private_key string).
		for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
			add(l)
		}
		for _, l := range lineBreaks.Split(text, -1) {
			add(l)
		}
	}
	for _, layer := range layers(raw) {
		addLines(layer)
	}
	if k == nil || k.Private == nil {
		return out
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err == nil {
		addLines(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})))
		add(base64.StdEncoding.EncodeToString(pkcs8))
		inJSON := string(marshalString(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))))
		add(strings.Trim(inJSON, `"`))
	}
	add(base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(k.Private)))
	if len(k.JSON) > 0 {
		addLines(string(k.JSON))
		add(base64.StdEncoding.EncodeToString(k.JSON))
		add(base64.RawURLEncoding.EncodeToString(k.JSON))
	}
	return out
}

// layers returns raw and every text decoded from it on the way to the JSON
// object, as far as decoding succeeds. It never fails.
func layers(raw string) []string {
	if len(raw) > maxInput {
		raw = raw[:maxInput]
	}
	out := []string{raw}
	s := raw
	for range maxLayers {
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "\uFEFF"))
		if s == "" || s[0] == '{' {
			break
		}
		if s[0] == '"' {
			var inner string
			if jsonString(s, &inner) {
				s = inner
				out = append(out, s)
				continue
			}
		}
		if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
			s = s[1 : len(s)-1]
			continue
		}
		b, _, ok := decodeBase64(s)
		if !ok {
			break
		}
		s = string(b)
		out = append(out, s)
	}
	return out
}

// printable reports whether s is UTF-8 text without control characters; a
// mask line must not be able to break the workflow command that carries it.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
