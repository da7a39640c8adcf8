package redact

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		limit    int
		secrets  []string
		want     string
	}{
		{"control characters and line breaks", "a\r\nb\x1b[31m\u2028c\u0085d\x00e", 80, nil, "a b [31m c d e"},
		{"PEM block cut", "key: -----BEGIN PRIVATE KEY-----\nMIGH...", 80, nil, "key: [redacted]"},
		{"credential-like run", "token eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9 refused", 80, nil, "token [redacted] refused"},
		{"codes, hex and UUIDs stay", "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED 0123456789abcdef0123456789abcdef01234567 57246542-96fe-1a63-e053-0824d011072a", 200, nil,
			"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED 0123456789abcdef0123456789abcdef01234567 57246542-96fe-1a63-e053-0824d011072a"},
		{"known secret and its lines", "got s3cr3t-value and line-two-of-the-secret", 80, []string{"s3cr3t-value", "short\nline-two-of-the-secret"}, "got [redacted] and [redacted]"},
		{"cut to length in runes", "äöüäöü", 3, nil, "äöü…"},
		{"invalid UTF-8", "a\xffb", 80, nil, "a\uFFFDb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Clean(tc.in, tc.limit, tc.secrets...); got != tc.want {
				t.Errorf("Clean(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if strings.Contains(Clean(strings.Repeat("x", 500), 300), strings.Repeat("x", 301)) {
		t.Error("not cut")
	}
}
