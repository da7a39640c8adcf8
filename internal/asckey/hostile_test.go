package asckey

import (
	"errors"
	"strings"
	"testing"
)

// Values built to make a careless parser slow or deep. They must be
// rejected (the go test timeout catches a hang), and SecretLines must
// still answer.
func TestParseHostileInputs(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	body := b64(k.appleDER)
	cases := []struct {
		name   string
		in     string
		reason Reason
	}{
		{"many short lines", strings.Repeat("AAAA\n", 13000), ReasonUnrecognised},
		{"many short lines of key material", strings.Repeat(body[:4]+"\n", 13000), ReasonUnrecognised},
		{"one long base64 line", strings.Repeat("A", maxInput-8), ReasonUnrecognised},
		{"BEGIN lines only", strings.Repeat("-----BEGIN PRIVATE KEY-----", 2400), ReasonMultipleKeys},
		{"mismatched blocks", strings.Repeat("-----BEGIN A-----\n-----END B-----\n", 1800), ReasonUnrecognised},
		{"spaced words", strings.Repeat("abcd ", 13000), ReasonUnrecognised},
		{"escapes only", strings.Repeat(`\n`, 30000), ReasonEmpty},
		{"quotes only", strings.Repeat(`"`, 60000), ReasonUnrecognised},
		{"nested base64 of short lines", b64([]byte(b64([]byte(b64([]byte(strings.Repeat("ABCD\n", 3000))))))), ReasonUnrecognised},
		{"deep DER", b64([]byte(strings.Repeat("\x30\x80", 20000))), ReasonCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tc.in)
			var ie *IntakeError
			if !errors.As(err, &ie) {
				t.Fatalf("Parse: %v, want *IntakeError", err)
			}
			if ie.Reason != tc.reason {
				t.Errorf("Reason = %s, want %s: %s", ie.Reason, tc.reason, ie.Error())
			}
			_ = SecretLines(tc.in, nil)
		})
	}
}
