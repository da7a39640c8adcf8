// Package testkit holds what the tests of several packages share: the check
// that a user-facing message is one bounded line quoting no secret, the
// fuzzers' status mapping, a settable clock and a Google stand-in started for
// one test. Only _test.go files import it.
package testkit

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
)

// QuoteRun is the length of the shortest piece of a secret that counts as
// quoted: shorter runs of base64 occur by chance in ordinary text.
const QuoteRun = 24

// Secrets finds a quote of any of its secrets, whole or in part, in a message.
type Secrets struct {
	runs  map[string]bool // every QuoteRun-character run of the long secrets
	short []string        // secrets shorter than QuoteRun, looked for whole
}

// NewSecrets indexes secrets; empty ones are ignored.
func NewSecrets(secrets ...string) *Secrets {
	s := &Secrets{runs: map[string]bool{}}
	for _, secret := range secrets {
		switch {
		case secret == "":
		case len(secret) < QuoteRun:
			s.short = append(s.short, secret)
		default:
			for i := 0; i+QuoteRun <= len(secret); i++ {
				s.runs[secret[i:i+QuoteRun]] = true
			}
		}
	}
	return s
}

// Quoted returns the first piece of a secret found in msg.
func (s *Secrets) Quoted(msg string) (string, bool) {
	for _, secret := range s.short {
		if strings.Contains(msg, secret) {
			return secret, true
		}
	}
	for i := 0; i+QuoteRun <= len(msg); i++ {
		if s.runs[msg[i:i+QuoteRun]] {
			return msg[i : i+QuoteRun], true
		}
	}
	return "", false
}

// CheckMessage fails t unless msg is one non-empty line of valid UTF-8 of at
// most maxLen bytes that quotes none of secrets (which may be nil).
func CheckMessage(t testing.TB, msg string, maxLen int, secrets *Secrets) {
	t.Helper()
	if msg == "" || strings.ContainsAny(msg, "\r\n") || !utf8.ValidString(msg) || len(msg) > maxLen {
		t.Fatalf("message is empty, spans lines, is not UTF-8 or is %d bytes (at most %d): %q", len(msg), maxLen, msg)
	}
	if secrets == nil {
		return
	}
	if piece, ok := secrets.Quoted(msg); ok {
		t.Fatalf("message quotes a secret (%q): %s", piece, msg)
	}
}

// StatusOf maps a fuzzer's number onto the statuses a server can send:
// 100 → 200, 301 → 401, and so on.
func StatusOf(n uint16) int { return 100 + int(n)%500 }

// Clock is a clock a test moves forward, shared with the stand-ins it runs.
// Its zero value reads as the machine's time.
type Clock struct{ offset atomic.Int64 }

// Now is the machine's time plus every Advance so far.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Google starts a Google stand-in on loopback with its own Clock, lets
// configure add its accounts and packages, and stops it when the test ends.
// It returns the stand-in, its base URL and the clock.
func Google(t testing.TB, configure func(*googlestandin.Server)) (*googlestandin.Server, string, *Clock) {
	t.Helper()
	c := &Clock{}
	srv := googlestandin.New(googlestandin.WithClock(c.Now))
	if configure != nil {
		configure(srv)
	}
	base, stop, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if !strings.HasPrefix(base, "http://127.0.0.1:") && !strings.HasPrefix(base, "http://[::1]:") {
		t.Fatalf("the Google stand-in listens on %q, not on loopback", base)
	}
	return srv, base, c
}
