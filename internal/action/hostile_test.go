package action_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
	"github.com/mos-tools/publisher-keys/internal/testkit/runnerlog"
)

// The hostile table of issue 12: a mos.portal, App Store Connect or Google
// that answers with injected record values, reason phrases, echoes of what
// it was sent and redirects, and inputs and files chosen to break out. For
// every row, after splitting stdout as the runner does, every line starting
// with :: is one the action meant to issue, ##[ never appears, the outputs
// parsed as the runner parses them are the action's own, and no 16-character
// run of a token or assertion the action sent shows outside ::add-mask::.
//
// `go test -v -run TestHostile ./internal/action/` prints one "hostile" line
// per row with what the runner would have seen.

// outputNames reads the action's outputs from action.yml: the names of the
// outputs block, indented by two spaces.
func outputNames(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "outputs:":
			in = true
		case in && line != "" && !strings.HasPrefix(line, " "):
			in = false
		case in && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":"):
			names = append(names, strings.TrimSuffix(strings.TrimSpace(line), ":"))
		}
	}
	if len(names) < 14 {
		t.Fatalf("found only the outputs %q in action.yml", names)
	}
	return names
}

const forged = "::error title=Forged::the runner obeyed a server"

type hostileCase struct {
	name    string
	finding int
	play    bool // the Google Play key instead of the Apple one
	// prepare makes the world hostile and returns input overrides.
	prepare func(t *testing.T, p *world) map[string]string
	want    map[string]string // outputs that must have these values
	// check, if set, checks more of what the run showed.
	check func(t *testing.T, p *world, h hostileRun)
}

// hostileRun is what the runner sees of one run, and the bearer tokens and
// signed assertions the action sent.
type hostileRun struct {
	result
	sent []string
}

func TestHostile(t *testing.T) {
	t.Parallel()
	oldRecord := func(p *world, keyID string) {
		fp, err := portalstandin.Fingerprint(&p.old.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		p.portal.SetIOSKey(project, "news", portalstandin.IOSRecord{
			KeyID: keyID, IssuerID: issuer, Fingerprint: fp, PrivateKey: p.oldPEM, UploadedAt: fixedNow.Add(-24 * time.Hour),
		})
	}
	reason := func(inject func(p *world) *fault.Injector, prefix string) func(*testing.T, *world) map[string]string {
		return func(_ *testing.T, p *world) map[string]string {
			inject(p).Add(fault.Fault{Kind: fault.Status, Status: 503, Reason: "Busy\r" + forged, RetryAfter: "0", Times: 1, PathPrefix: prefix})
			return nil
		}
	}
	validApple := map[string]string{"valid": "true", "asc-key-id": keyID, "asc-issuer-id": issuer, "asc-fingerprint": "SHA256:/UC1jqCn3tYMtJdEDBih47HEgKjl4TuSlL57dbY+A0I"}
	cases := []hostileCase{
		{name: "portal keyId with a line feed", finding: 1, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				oldRecord(p, oldKeyID+"\n"+forged)
				return nil
			}},
		{name: "portal keyId with a bare CR and stop-commands", finding: 1, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				oldRecord(p, oldKeyID+"\r::stop-commands::pwned")
				return nil
			}},
		{name: "portal keyId with a legacy command, check mode", finding: 1, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				oldRecord(p, "##[error]"+oldKeyID)
				return map[string]string{"mode": "check"}
			}},
		{name: "portal privateKeyId with a line feed", finding: 1, play: true, want: map[string]string{"play-valid": "true", "play-key-id": playKeyID},
			prepare: func(_ *testing.T, p *world) map[string]string {
				p.portal.SetAndroidKey(project, "news", portalstandin.AndroidRecord{
					ClientEmail: playEmail, PrivateKeyID: playOldKeyID + "\n" + forged, Fingerprint: p.oldFP, ServiceAccountJSON: p.oldJSON,
				})
				return nil
			}},
		{name: "portal keyId holding go-githubactions' delimiter", finding: 2, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				// The real closing delimiter then closes the forged block.
				oldRecord(p, oldKeyID+"\n_GitHubActionsFileCommandDelimeter_\nasc-fingerprint=SHA256:forged\nvalid<<_GitHubActionsFileCommandDelimeter_\nfalse")
				return nil
			}},
		{name: "portal reason phrase with a bare CR", finding: 3, want: validApple,
			prepare: reason(func(p *world) *fault.Injector { return p.portal.Faults() }, "")},
		{name: "App Store Connect reason phrase with a bare CR", finding: 3, want: validApple,
			prepare: reason(func(p *world) *fault.Injector { return p.asc.Faults() }, "")},
		{name: "Google token endpoint reason phrase with a bare CR", finding: 3, play: true, want: map[string]string{"play-valid": "true"},
			prepare: reason(func(p *world) *fault.Injector { return p.google.Faults() }, "/token")},
		{name: "asc-key-file is a FIFO", finding: 4, want: map[string]string{"valid": "false", "asc-fingerprint": ""},
			prepare: func(t *testing.T, p *world) map[string]string {
				path := filepath.Join(p.workspace, "AuthKey_TESTKEY001.p8")
				if err := syscall.Mkfifo(path, 0o600); err != nil {
					t.Skip("no FIFO here:", err)
				}
				return map[string]string{"asc-key": "", "asc-key-file": "AuthKey_TESTKEY001.p8"}
			},
			check: wantAnnotation("named pipe")},
		{name: "asc-key-file is /dev/zero", finding: 4, want: map[string]string{"valid": "false", "asc-fingerprint": ""},
			prepare: func(*testing.T, *world) map[string]string {
				return map[string]string{"asc-key": "", "asc-key-file": "/dev/zero"}
			},
			check: wantAnnotation("is a device")},
		{name: "asc-key-file holds no key", finding: 5, want: map[string]string{"valid": "false"},
			prepare: func(t *testing.T, p *world) map[string]string {
				text := "root:$6$saltsalt$hashhashhashhash:19000:0:99999:7:::\nINPUT_MOS-TOKEN=" + token + "\n"
				if err := os.WriteFile(filepath.Join(p.workspace, "shadow"), []byte(text), 0o600); err != nil {
					t.Fatal(err)
				}
				return map[string]string{"asc-key": "", "asc-key-file": "shadow"}
			},
			check: noMaskOf("root:", "INPUT_MOS-TOKEN")},
		{name: "asc-key-file is /proc/self/environ", finding: 5, want: map[string]string{"valid": "false"},
			prepare: func(*testing.T, *world) map[string]string {
				return map[string]string{"asc-key": "", "asc-key-file": "/proc/self/environ"}
			},
			check: noMaskOf("PATH=", "HOME=")},
		{name: "portal redirects to a path holding the token", finding: 6, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				p.portal.Faults().Add(fault.Fault{Kind: fault.Redirect, Location: "https://collector.example/collect/" + token + "/x"})
				return nil
			},
			check: notShown("/collect/")},
		{name: "App Store Connect echoes the JWT in pieces", finding: 7, want: map[string]string{"valid": "false"},
			prepare: func(_ *testing.T, p *world) map[string]string {
				p.asc.Faults().Add(fault.Fault{Kind: fault.Status, Status: 401,
					Body: `{"errors":[{"status":"401","code":"NOT_AUTHORIZED","title":"Authentication credentials are missing or invalid.","detail":"got ` + fault.EchoToken + `"}]}`})
				return nil
			}},
		{name: "Google token endpoint echoes the assertion in pieces", finding: 7, play: true, want: map[string]string{"play-valid": "false"},
			prepare: func(_ *testing.T, p *world) map[string]string {
				p.google.Faults().Add(fault.Fault{Kind: fault.Status, Status: 400, PathPrefix: "/token",
					Body: `{"error":"invalid_grant","error_description":"bad ` + fault.EchoBody + `"}`})
				return nil
			}},
		{name: "portal echoes the mos-token in pieces", finding: 7, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				p.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 401,
					Body: `{"error":{"code":"unauthorized","message":"token ` + fault.EchoToken + ` is not valid"}}`})
				return nil
			}},
		{name: "mos-apps entry with a bare CR", finding: 8, want: map[string]string{"valid": "false"},
			prepare: func(*testing.T, *world) map[string]string {
				return map[string]string{"mos-apps": "weather\nne\r" + forged}
			},
			check: noRequests},
		{name: "mos-apps entry with a legacy command", finding: 8, want: validApple,
			prepare: func(*testing.T, *world) map[string]string {
				return map[string]string{"mos-apps": "weather, we##[error]ather"}
			}},
		{name: "portal error message with HTML and a link in the summary", finding: 8, want: validApple,
			prepare: func(_ *testing.T, p *world) map[string]string {
				p.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 403,
					Body: `{"error":{"code":"forbidden","message":"<img src=x onerror=alert(1)> [click](https://evil.example) www.evil.example"}}`})
				return nil
			},
			check: func(t *testing.T, _ *world, h hostileRun) {
				for _, bad := range []string{"<img", "](", "https://evil", "www.evil"} {
					if strings.Contains(h.summary, bad) {
						t.Errorf("the summary holds %q:\n%s", bad, h.summary)
					}
				}
			}},
	}
	outputNames := outputNames(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := setup(t)
			p.preload(t, "weather", 10)
			in := p.inputs(nil)
			if tc.play {
				p.preloadPlay(t, "weather", 10)
				in = p.playInputs(nil)
			}
			in = override(in, tc.prepare(t, p))
			h := runHostile(t, p, in)

			var problems []string
			problems = append(problems, h.log.Problems()...)
			outs, err := runnerlog.ParseOutputs(h.outputFile)
			if err != nil {
				problems = append(problems, "GITHUB_OUTPUT: "+err.Error())
			}
			for name := range outs {
				if !slices.Contains(outputNames, name) {
					problems = append(problems, "an output the action does not have: "+name)
				}
			}
			for name, want := range tc.want {
				if outs[name] != want {
					problems = append(problems, "output "+name+" = "+outs[name]+", want "+want)
				}
			}
			if w := leakedRun(h); w != "" {
				problems = append(problems, "a 16-character run of a token or assertion shows: "+w)
			}
			t.Logf("hostile | finding %d | %s | %d problems: %q", tc.finding, tc.name, len(problems), problems)
			for _, p := range problems {
				t.Error(p)
			}
			if tc.check != nil {
				tc.check(t, p, h)
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("log of the run:\n%s", h.log)
			}
		})
	}
}

// runHostile runs the action with what it sends recorded, and gives up
// (failing) when it does not end within a few seconds.
func runHostile(t *testing.T, p *world, in map[string]string) hostileRun {
	t.Helper()
	sent := &sentSecrets{next: http.DefaultTransport}
	r := p.run(t, in, via(sent), within(15*time.Second))
	return hostileRun{result: r, sent: sent.list()}
}

// leakedRun returns the first 16-character run of a sent token or
// assertion that shows outside ::add-mask::, or "".
func leakedRun(h hostileRun) string {
	text := h.visible()
	for _, s := range h.sent {
		for i := 0; i+16 <= len(s); i++ {
			if strings.Contains(text, s[i:i+16]) {
				return s[i : i+16]
			}
		}
	}
	return ""
}

// sentSecrets records the bearer tokens and signed assertions requests carry.
type sentSecrets struct {
	next http.RoundTripper
	mu   sync.Mutex
	got  []string
}

func (s *sentSecrets) RoundTrip(r *http.Request) (*http.Response, error) {
	var found []string
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		found = append(found, tok)
	}
	if r.Body != nil && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
		b, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b))
		if form, err := url.ParseQuery(string(b)); err == nil && form.Get("assertion") != "" {
			found = append(found, form.Get("assertion"))
		}
	}
	s.mu.Lock()
	s.got = append(s.got, found...)
	s.mu.Unlock()
	return s.next.RoundTrip(r)
}

func (s *sentSecrets) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

func wantAnnotation(text string) func(*testing.T, *world, hostileRun) {
	return func(t *testing.T, _ *world, h hostileRun) {
		if !strings.Contains(h.log.String(), text) {
			t.Errorf("no annotation says %q", text)
		}
	}
}

func noMaskOf(texts ...string) func(*testing.T, *world, hostileRun) {
	return func(t *testing.T, _ *world, h hostileRun) {
		for _, line := range runnerlog.Split(h.log.String()) {
			for _, text := range texts {
				if strings.HasPrefix(line, "::add-mask::") && strings.Contains(line, text) {
					t.Errorf("a line of a file that holds no key is printed as a mask: %.40q…", line)
				}
			}
		}
	}
}

func notShown(text string) func(*testing.T, *world, hostileRun) {
	return func(t *testing.T, _ *world, h hostileRun) {
		if strings.Contains(h.log.String()+h.outputFile+h.summary, text) {
			t.Errorf("%q shows in the log, the outputs or the summary", text)
		}
	}
}

func noRequests(t *testing.T, p *world, _ hostileRun) {
	if n := p.portal.Faults().Requests() + p.asc.Faults().Requests(); n > 0 {
		t.Errorf("%d requests were sent; the inputs should have been refused before any", n)
	}
}

// TestCancelWhileReadingInputs: a signal ends the run within 2 s even while
// an input read hangs (here the environment itself, standing in for a key
// file on a stuck file system).
func TestCancelWhileReadingInputs(t *testing.T) {
	t.Parallel()
	blocked, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	var once sync.Once
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- action.Run(ctx, action.Deps{
			Getenv: func(k string) string {
				if k == "INPUT_ASC-KEY-FILE" {
					once.Do(func() { close(blocked) })
					<-release
				}
				return ""
			},
			Stdout: io.Discard,
		})
	}()
	<-blocked
	cancel()
	start := time.Now()
	timer := time.NewTimer(2 * time.Second)
	defer timer.Stop()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "cancelled while reading the inputs") {
			t.Errorf("error %v, want one saying the run was cancelled while reading the inputs", err)
		}
		t.Logf("the run ended %s after the cancel", time.Since(start).Round(time.Millisecond))
	case <-timer.C:
		t.Fatal("the run did not end within 2 s of the cancel")
	}
}
