// Package redact is the one cleaner for text a remote service or a file
// says, before it goes into an error: control characters and line breaks
// become spaces, a PEM block and credential-like runs are cut out, and the
// text is cut to length. It is the first line of defence; the output seam
// (internal/ghout) then redacts every secret the run knows by value.
package redact

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Placeholder replaces what was cut out.
const Placeholder = "[redacted]"

// credentialRun matches what could be part of a JWT, an access token or a
// key in base64; Clean redacts those that mix upper case, lower case and
// digits, as encoded secrets do and services' words, codes, hex IDs and
// UUIDs do not.
var credentialRun = regexp.MustCompile(`[A-Za-z0-9+/=_-]{24,}`)

// Clean makes s fit for a one-line message of at most limit runes (plus an
// ellipsis), with every one of secrets (and each of their lines of 16 or
// more characters) replaced by Placeholder.
func Clean(s string, limit int, secrets ...string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if i := strings.Index(s, "-----BEGIN"); i >= 0 {
		s = s[:i] + Placeholder
	}
	s = Secrets(s, secrets...)
	s = credentialRun.ReplaceAllStringFunc(s, func(run string) string {
		if looksSecret(run) {
			return Placeholder
		}
		return run
	})
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || !unicode.IsPrint(r)
	}), " ")
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit]) + "…"
	}
	return s
}

func looksSecret(run string) bool {
	return strings.ContainsAny(run, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
		strings.ContainsAny(run, "abcdefghijklmnopqrstuvwxyz") &&
		strings.ContainsAny(run, "0123456789")
}

// Secrets replaces every secret in s, and every line of a multi-line secret
// (a PEM, a JSON key file, also with its newlines escaped as \n), by
// Placeholder.
func Secrets(s string, secrets ...string) string {
	var parts []string
	for _, secret := range secrets {
		parts = append(parts, secret)
		for _, line := range strings.FieldsFunc(strings.ReplaceAll(secret, `\n`, "\n"), func(r rune) bool { return r == '\n' || r == '\r' }) {
			if line = strings.TrimSpace(line); len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				parts = append(parts, line)
			}
		}
	}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			s = strings.ReplaceAll(s, p, Placeholder)
		}
	}
	return s
}
