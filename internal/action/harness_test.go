package action_test

// The harness of the action's tests: one world of stand-ins (App Store
// Connect, Google, mos.portal) for each test, one run helper that calls
// action.Run in-process with the runner's environment and fast retry waits,
// and one reader of what the runner sees (internal/testkit/runnerlog).

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
	"github.com/mos-tools/publisher-keys/internal/testkit/runnerlog"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const (
	issuer   = "c0ffee00-1234-4abc-9def-0123456789ab"
	keyID    = "TESTKEY001"
	oldKeyID = "TESTKEY002"
	token    = "mos_test_token_5f1e2d3c4b"
	project  = "acme"

	// Retries in these tests wait milliseconds, not the quarter seconds to
	// seconds a runner waits: what they check is which faults are retried
	// and what the run reports; httpx's own tests check the backoff.
	retryWaitMin = time.Millisecond
	retryWaitMax = 10 * time.Millisecond
)

var (
	fixedNow = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	apps     = []string{"weather", "news", "sports"}
)

const (
	playEmail      = "publisher@acme-play.iam.gserviceaccount.com"
	playKeyID      = "3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e"
	playOldKeyID   = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	playProjectID  = "acme-play"
	playProjectNum = "123456789012"
	pkgWeather     = "com.acme.weather"
	pkgNews        = "com.acme.news"
)

// playKeys are two throwaway service-account keys, made once per test binary.
var playKeys = sync.OnceValues(func() (*rsa.PrivateKey, *rsa.PrivateKey) {
	gen := func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	return gen(), gen()
})

// world is a fresh App Store Connect, Google and mos.portal for one test.
// App Store Connect knows the two Apple keys and two apps, Google one service
// account with two keys and two packages, mos.portal the project's apps.
type world struct {
	asc            *ascstandin.Server
	portal         *portalstandin.Server
	ascURL, mosURL string
	keyPEM, oldPEM string
	key, old       *ecdsa.PrivateKey
	workspace      string

	google    *googlestandin.Server
	googleURL string
	// skew is how far the Google stand-in's clock runs ahead of this
	// machine's, which signs the assertions.
	skew atomic.Int64

	playKey, playOld  *rsa.PrivateKey
	keyJSON, oldJSON  string // the key files, as Google Cloud downloads them
	keyFP, oldFP      string // fingerprints, computed by the portal stand-in
	normalisedPlayPEM string // the PKCS#8 PEM mos.portal must receive
}

func readKey(t testing.TB, name string) (*ecdsa.PrivateKey, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*ecdsa.PrivateKey), string(b)
}

// setup builds the world; opts configure its App Store Connect stand-in
// after its clock is set to fixedNow.
func setup(t testing.TB, opts ...ascstandin.Option) *world {
	t.Helper()
	w := &world{workspace: t.TempDir()}
	w.key, w.keyPEM = readKey(t, "AuthKey_TESTKEY001.p8")
	w.old, w.oldPEM = readKey(t, "AuthKey_TESTKEY002.p8")

	w.asc = ascstandin.New(append([]ascstandin.Option{ascstandin.WithClock(func() time.Time { return fixedNow })}, opts...)...)
	w.asc.AddKey(ascstandin.Key{KeyID: keyID, IssuerID: issuer, Public: &w.key.PublicKey, Role: ascstandin.RoleAdmin})
	w.asc.AddKey(ascstandin.Key{KeyID: oldKeyID, IssuerID: issuer, Public: &w.old.PublicKey, Role: ascstandin.RoleAdmin})
	w.asc.AddApp(ascstandin.App{ID: "1", BundleID: "com.acme.weather", Name: "Weather", IssuerID: issuer})
	w.asc.AddApp(ascstandin.App{ID: "2", BundleID: "com.acme.news", Name: "News", IssuerID: issuer})

	w.portal = portalstandin.New()
	w.portal.Now = func() time.Time { return fixedNow }
	w.portal.AddToken(token, project)
	for _, app := range apps {
		w.portal.AddApp(project, app)
	}

	var stop func()
	var err error
	if w.ascURL, stop, err = w.asc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if w.mosURL, stop, err = w.portal.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	w.setupGoogle(t)
	return w
}

func (p *world) setupGoogle(t testing.TB) {
	t.Helper()
	p.playKey, p.playOld = playKeys()
	p.google = googlestandin.New(googlestandin.WithClock(func() time.Time {
		return time.Now().Add(time.Duration(p.skew.Load()))
	}))
	p.google.AddServiceAccount(playEmail, playKeyID, &p.playKey.PublicKey, playProjectNum)
	p.google.AddServiceAccount(playEmail, playOldKeyID, &p.playOld.PublicKey, playProjectNum)
	p.google.AddPackage(pkgWeather, playEmail)
	p.google.AddPackage(pkgNews, playEmail)
	var stop func()
	var err error
	if p.googleURL, stop, err = p.google.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	p.keyJSON = keyFile(t, playKeyID, p.playKey, p.googleURL+"/token")
	p.oldJSON = keyFile(t, playOldKeyID, p.playOld, p.googleURL+"/token")
	if p.keyFP, err = portalstandin.Fingerprint(&p.playKey.PublicKey); err != nil {
		t.Fatal(err)
	}
	if p.oldFP, err = portalstandin.Fingerprint(&p.playOld.PublicKey); err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(p.playKey)
	if err != nil {
		t.Fatal(err)
	}
	p.normalisedPlayPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func keyFile(t testing.TB, id string, k *rsa.PrivateKey, tokenURI string) string {
	t.Helper()
	b, err := googlestandin.KeyFile(playEmail, id, playProjectID, tokenURI, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// preloadPlay stores the old Play key in app, uploaded days ago.
func (p *world) preloadPlay(t *testing.T, app string, days int) {
	t.Helper()
	p.portal.SetAndroidKey(project, app, portalstandin.AndroidRecord{
		ClientEmail: playEmail, PrivateKeyID: playOldKeyID, Fingerprint: p.oldFP, ServiceAccountJSON: p.oldJSON,
		UploadedAt: fixedNow.Add(-time.Duration(days) * 24 * time.Hour),
	})
}

// playInputs are the inputs of a run with the Play key only: the harness's
// mos.portal inputs, no Apple input. extra overrides; "" removes an input.
func (p *world) playInputs(extra map[string]string) map[string]string {
	in := p.inputs(map[string]string{"asc-key": "", "asc-key-id": "", "asc-issuer-id": "", "asc-api-url": ""})
	in["play-service-account"] = p.keyJSON
	in["play-package-names"] = pkgWeather + "\n" + pkgNews
	in["play-api-url"] = p.googleURL
	return override(in, extra)
}

// bothInputs are the inputs of a run with the Apple and the Play key.
func (p *world) bothInputs(extra map[string]string) map[string]string {
	in := p.inputs(nil)
	in["play-service-account"] = p.keyJSON
	in["play-package-names"] = pkgWeather + ", " + pkgNews
	in["play-api-url"] = p.googleURL
	return override(in, extra)
}

func override(in, extra map[string]string) map[string]string {
	for k, v := range extra {
		if v == "" {
			delete(in, k)
			continue
		}
		in[k] = v
	}
	return in
}

var checkOnly = map[string]string{"mode": "check", "mos-url": "", "mos-token": "", "mos-project": "", "mos-apps": ""}

// preload stores the old key in app, uploaded days ago.
func (w *world) preload(t testing.TB, app string, days int) {
	t.Helper()
	fp, err := portalstandin.Fingerprint(&w.old.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	w.portal.SetIOSKey(project, app, portalstandin.IOSRecord{
		KeyID: oldKeyID, IssuerID: issuer, Fingerprint: fp, PrivateKey: w.oldPEM,
		UploadedAt: fixedNow.Add(-time.Duration(days) * 24 * time.Hour),
	})
}

func (w *world) inputs(extra map[string]string) map[string]string {
	in := map[string]string{
		"asc-key":       w.keyPEM,
		"asc-key-id":    keyID,
		"asc-issuer-id": issuer,
		"asc-api-url":   w.ascURL,
		"mos-url":       w.mosURL,
		"mos-token":     token,
		"mos-project":   project,
		"mos-apps":      strings.Join(apps, "\n"),
		"timeout":       "20s",
	}
	for k, v := range extra {
		if v == "" {
			delete(in, k)
			continue
		}
		in[k] = v
	}
	return in
}

// androidRequests counts the requests mos.portal saw for the Android key of
// any app of the harness.
func (p *world) androidRequests(method string) int {
	n := 0
	for _, app := range apps {
		n += p.portal.Requests(method, project, app, portalstandin.Android)
	}
	return n
}

func (p *world) iosRequests() int {
	n := 0
	for _, app := range apps {
		n += p.portal.Requests("", project, app, portalstandin.IOS)
	}
	return n
}

// result is what a workflow sees of one run.
type result struct {
	err        error
	log        *runnerlog.Recorder // stdout, as written
	stdout     string
	outputFile string // GITHUB_OUTPUT as written
	outputs    map[string]string
	summary    string
	// elapsed is how long the run took from its first line of log, printed
	// just before the run's deadline is set, to its end: the part of the
	// run that the timeout input bounds.
	elapsed time.Duration
}

func (r result) results(t *testing.T) []action.Result {
	t.Helper()
	var out []action.Result
	if err := json.Unmarshal([]byte(r.outputs["results"]), &out); err != nil {
		t.Fatalf("results output %q is not JSON: %v", r.outputs["results"], err)
	}
	return out
}

func (r result) statuses(t *testing.T) map[string]string {
	t.Helper()
	got := map[string]string{}
	for _, res := range r.results(t) {
		got[res.Platform+"/"+res.App] = res.Status
	}
	return got
}

// runCfg is what a test changes of a run.
type runCfg struct {
	ctx       context.Context   // the context the runner's signals would cancel
	now       func() time.Time  // the clock; fixedNow unless set
	transport http.RoundTripper // the run's HTTP, if not the default
	env       map[string]string // the runner's variables to change; "" unsets
	within    time.Duration     // fail the test when the run takes longer
	openEdits int               // Play edits the stand-in refuses to delete
	tokenLost bool              // Google issued a token the run never read
}

type runOpt func(*runCfg)

func withCtx(ctx context.Context) runOpt   { return func(c *runCfg) { c.ctx = ctx } }
func withNow(now func() time.Time) runOpt  { return func(c *runCfg) { c.now = now } }
func via(rt http.RoundTripper) runOpt      { return func(c *runCfg) { c.transport = rt } }
func withEnv(env map[string]string) runOpt { return func(c *runCfg) { c.env = env } }
func within(d time.Duration) runOpt        { return func(c *runCfg) { c.within = d } }
func tokenLost() runOpt                    { return func(c *runCfg) { c.tokenLost = true } }
func leavesEdits(n int) runOpt             { return func(c *runCfg) { c.openEdits = n } }

// run runs the action in-process with inputs in, the runner's GITHUB_*
// variables and retries that wait milliseconds. After every run it checks
// what must always hold: no secret of the inputs, no access token and no
// signed assertion shows outside ::add-mask::, a token Google issued was
// masked, and no Play edit is left open. It reports with Errorf only, so it
// may be called from any goroutine.
func (w *world) run(t testing.TB, in map[string]string, opts ...runOpt) result {
	t.Helper()
	c := runCfg{ctx: t.Context(), now: func() time.Time { return fixedNow }}
	for _, o := range opts {
		o(&c)
	}
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"GITHUB_WORKSPACE":    w.workspace,
	}
	for k, v := range in {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	for k, v := range c.env {
		if v == "" {
			delete(env, k)
			continue
		}
		env[k] = v
	}
	stdout := &firstLogLine{}
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- action.Run(ctx, action.Deps{
			Getenv:       func(k string) string { return env[k] },
			Stdout:       stdout,
			Now:          c.now,
			Transport:    c.transport,
			RetryWaitMin: retryWaitMin,
			RetryWaitMax: retryWaitMax,
		})
	}()
	var guard <-chan time.Time
	if c.within > 0 {
		timer := time.NewTimer(c.within)
		defer timer.Stop()
		guard = timer.C
	}
	r := result{log: &stdout.Recorder}
	select {
	case r.err = <-done:
	case <-guard:
		cancel()
		r.err = <-done
		t.Errorf("the run did not end within %s; log:\n%s", c.within, stdout.String())
	}
	r.elapsed = time.Since(stdout.first())
	r.stdout = stdout.String()
	if b, err := os.ReadFile(env["GITHUB_OUTPUT"]); err == nil {
		r.outputFile = string(b)
		if r.outputs, err = runnerlog.ParseOutputs(r.outputFile); err != nil {
			t.Errorf("reading the outputs: %v", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) && env["GITHUB_OUTPUT"] != "" {
		t.Errorf("reading the outputs: %v", err)
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	r.summary = string(summary)
	assertNoLeak(t, r, in)
	assertPlaySecretsMasked(t, r, w.google.TokensIssued() > 0 && !c.tokenLost)
	if n := w.google.TotalOpenEdits(); n != c.openEdits {
		t.Errorf("%d Play edits are still open after the run, want %d; the check must delete every edit it opens", n, c.openEdits)
	}
	return r
}

// firstLogLine is the job log of a run, noting when its first line other
// than an ::add-mask:: command was written. The action writes each line
// with one Write.
type firstLogLine struct {
	runnerlog.Recorder
	mu sync.Mutex
	at time.Time
}

func (l *firstLogLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.at.IsZero() && !strings.HasPrefix(string(p), "::add-mask::") {
		l.at = time.Now()
	}
	l.mu.Unlock()
	return l.Recorder.Write(p)
}

func (l *firstLogLine) first() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.at
}

// assertNoLeak fails when any secret-derived string shows outside an
// ::add-mask:: command.
func assertNoLeak(t testing.TB, r result, in map[string]string) {
	t.Helper()
	var secrets []string
	for _, name := range []string{"asc-key", "mos-token", "play-service-account"} {
		secrets = append(secrets, secretPieces(in[name])...)
	}
	text := r.visible()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("secret-derived text %.12q… appears in the log, outputs or summary", s)
		}
	}
}

// visibleLog is the log as the runner reads it (runnerlog.Split), but the
// ::add-mask:: commands.
func visibleLog(stdout string) string {
	var b strings.Builder
	for _, line := range runnerlog.Split(stdout) {
		if !strings.HasPrefix(line, "::add-mask::") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// visible is everything a reader of the log, the outputs or the summary
// sees, but the ::add-mask:: commands.
func (r result) visible() string {
	return visibleLog(r.stdout) + r.outputFile + "\n" + r.summary
}

// masks returns the values of the run's ::add-mask:: commands, unescaped.
func (r result) masks() []string {
	unescape := strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace
	var masks []string
	for _, line := range runnerlog.Split(r.stdout) {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok && v != "" {
			masks = append(masks, unescape(v))
		}
	}
	return masks
}

// secretPieces returns the raw value's lines and, for PEM keys, the body
// lines and the DER in base64.
func secretPieces(raw string) []string {
	var out []string
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	if block, _ := pem.Decode([]byte(raw)); block != nil {
		out = append(out, base64.StdEncoding.EncodeToString(block.Bytes)[:40])
		if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			if ec, ok := k.(*ecdsa.PrivateKey); ok {
				if sec1, err := x509.MarshalECPrivateKey(ec); err == nil {
					out = append(out, base64.StdEncoding.EncodeToString(sec1)[:40])
				}
			}
		}
	}
	if len(raw) >= 16 && !strings.Contains(raw, "\n") {
		out = append(out, raw)
	}
	return out
}

var (
	accessTokenRe = regexp.MustCompile(`ya29\.[A-Za-z0-9._-]+`)
	jwtRe         = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)
)

// assertPlaySecretsMasked fails when an access token or a signed assertion
// shows outside ::add-mask::, and when a token was issued but not masked.
func assertPlaySecretsMasked(t testing.TB, r result, issued bool) {
	t.Helper()
	text := r.visible()
	if s := accessTokenRe.FindString(text); s != "" {
		t.Errorf("an access token (%.10s…) appears in the log, outputs or summary", s)
	}
	if s := jwtRe.FindString(text); s != "" {
		t.Errorf("a signed assertion (%.10s…) appears in the log, outputs or summary", s)
	}
	if !issued {
		return
	}
	var token, assertion bool
	for _, m := range r.masks() {
		token = token || accessTokenRe.MatchString(m)
		assertion = assertion || jwtRe.MatchString(m)
	}
	if !token || !assertion {
		t.Errorf("Google issued a token, but the run masked access token: %t, signed assertion: %t", token, assertion)
	}
}

// annotation is one ::error, ::warning or ::notice line, unescaped.
type annotation struct{ level, title, msg string }

var annotationRe = regexp.MustCompile(`^::(error|warning|notice) title=([^:]*)::(.*)$`)

// annotationsOf reads the annotations of a log as the runner does: line by
// line (runnerlog.Split), with the command escapes undone.
func annotationsOf(stdout string) []annotation {
	unescape := strings.NewReplacer("%3A", ":", "%2C", ",", "%0D", "\r", "%0A", "\n", "%25", "%").Replace
	var out []annotation
	for _, line := range runnerlog.Split(stdout) {
		if m := annotationRe.FindStringSubmatch(line); m != nil {
			out = append(out, annotation{level: m[1], title: unescape(m[2]), msg: unescape(m[3])})
		}
	}
	return out
}

// find returns the annotation of level with title, if any.
func find(r result, level, title string) (annotation, bool) {
	for _, a := range annotationsOf(r.stdout) {
		if a.level == level && a.title == title {
			return a, true
		}
	}
	return annotation{}, false
}

func titles(r result, level string) []string {
	var out []string
	for _, a := range annotationsOf(r.stdout) {
		if a.level == level {
			out = append(out, a.title)
		}
	}
	return out
}

// expectOutputs compares the named outputs only.
func expectOutputs(t *testing.T, r result, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for name := range want {
		got[name] = r.outputs[name]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outputs (-want +got):\n%s", diff)
	}
}

// uploadedKeyFile reads what mos.portal holds for app's Android key.
type uploadedKeyFile struct {
	Type         string `json:"type"`
	ProjectID    string `json:"project_id"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	ClientEmail  string `json:"client_email"`
	TokenURI     string `json:"token_uri"`
}

// assertUploaded checks that app holds the current Play key, as a key file
// that parses, names the same key and carries the normalised private key.
func (p *world) assertUploaded(t *testing.T, app string) {
	t.Helper()
	rec, ok := p.portal.AndroidKey(project, app)
	if !ok {
		t.Errorf("mos.portal app %s holds no Android key", app)
		return
	}
	if rec.PrivateKeyID != playKeyID || rec.Fingerprint != p.keyFP || rec.ClientEmail != playEmail {
		t.Errorf("mos.portal app %s holds key %s (%s) of %s, want %s (%s) of %s",
			app, rec.PrivateKeyID, rec.Fingerprint, rec.ClientEmail, playKeyID, p.keyFP, playEmail)
	}
	var f uploadedKeyFile
	if err := json.Unmarshal([]byte(rec.ServiceAccountJSON), &f); err != nil {
		t.Errorf("the serviceAccountJson uploaded to app %s is not JSON: %v", app, err)
		return
	}
	want := uploadedKeyFile{
		Type: "service_account", ProjectID: playProjectID, PrivateKeyID: playKeyID,
		PrivateKey: p.normalisedPlayPEM, ClientEmail: playEmail, TokenURI: p.googleURL + "/token",
	}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("the key file uploaded to app %s (-want +got):\n%s", app, diff)
	}
}

// editKeyFile returns doc with its fields changed by edit.
func editKeyFile(t *testing.T, doc string, edit func(f map[string]any)) string {
	t.Helper()
	var f map[string]any
	if err := json.Unmarshal([]byte(doc), &f); err != nil {
		t.Fatal(err)
	}
	edit(f)
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}
