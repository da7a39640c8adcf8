package testkit_test

import (
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/testkit"
)

func TestSecretsQuoted(t *testing.T) {
	t.Parallel()
	long := "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg" // 48 characters
	secrets := testkit.NewSecrets(long, "tok-123", "")
	cases := []struct {
		name, msg string
		want      string // the piece reported; "" for none
	}{
		{"clean", "mos.portal answered 401 unauthorized", ""},
		{"whole long secret", "body: " + long, long[:testkit.QuoteRun]},
		{"a run from the middle", "near '" + long[10:10+testkit.QuoteRun] + "'", long[10 : 10+testkit.QuoteRun]},
		{"pieces one character short of a run", long[:testkit.QuoteRun-1] + " and " + long[len(long)-testkit.QuoteRun+1:], ""},
		{"short secret whole", "Bearer tok-123 expired", "tok-123"},
		{"part of the short secret", "Bearer tok-12", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := secrets.Quoted(tc.msg)
			if ok != (tc.want != "") || got != tc.want {
				t.Errorf("Quoted(%q) = %q, %t; want %q", tc.msg, got, ok, tc.want)
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	for n, want := range map[uint16]int{0: 100, 100: 200, 301: 401, 499: 599, 500: 100, 65535: 100 + 65535%500} {
		if got := testkit.StatusOf(n); got != want {
			t.Errorf("StatusOf(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestClockAdvances(t *testing.T) {
	t.Parallel()
	var c testkit.Clock
	if d := time.Since(c.Now()); d < 0 || d > time.Minute {
		t.Errorf("a new clock is %s off the machine's", d)
	}
	c.Advance(48 * time.Hour)
	if d := time.Until(c.Now()); d < 47*time.Hour || d > 48*time.Hour {
		t.Errorf("advanced by %s, want 48h", d)
	}
}
