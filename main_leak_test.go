package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/asckey"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// The leak test runs the program (in-process, through run) through every
// scenario of the end-to-end suite (each accepted key form, each rejection,
// each store failure, each fault, and servers that echo what they were
// sent) and proves for each that no secret-derived string reaches stdout
// (outside ::add-mask:: commands), stderr, the outputs file, the step
// summary or any file under its workspace and runner directories; and that
// every secret was registered with ::add-mask:: before it could first
// appear. TestBinary checks that the built binary leaves nothing under a
// fresh TMPDIR and HOME.

const (
	leakKeyID    = "LEAKKEY001"
	leakIssuer   = "1ea51ea5-0000-4000-8000-00000000000a"
	leakToken    = "mos_leak_token_Q7w9e1r3t5y7u9i0"
	leakProject  = "acme"
	leakApp      = "weather"
	leakEmail    = "publisher@leak-test.iam.gserviceaccount.com"
	leakPlayKey  = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"
	leakPackage  = "com.acme.weather"
	leakBundleID = "com.acme.weather"
)

// leakKeys are the throwaway keys of the whole test, made once.
type leakKeys struct {
	ec        *ecdsa.PrivateKey // the App Store Connect key
	ecPKCS8   []byte
	ecSEC1    []byte
	ecPEM     string // PKCS#8 PEM, as App Store Connect hands it out
	ecSEC1PEM string
	ecPubPEM  string
	// ecNormalPEM is the key as the action normalises it (PKCS#8 with the
	// curve named inside, as Apple writes it; ecPEM is Go's and OpenSSL's
	// layout, which names it only outside).
	ecNormalPEM string

	sa      *rsa.PrivateKey // the Google service account's key
	saPKCS8 []byte
	saPKCS1 []byte
	saPEM   string

	rsaPEM      string // an RSA key given as App Store Connect key
	p384PEM     string
	certPEM     string // a certificate of another P-256 key
	encrypted   string // PKCS#8 encrypted (throwaway file of package asckey)
	legacyEnc   string // "Proc-Type: 4,ENCRYPTED" SEC1
	rsaMaterial [][]byte
}

var (
	leakKeysOnce sync.Once
	leakKeysVal  *leakKeys
	leakKeysErr  error
)

func keysForLeakTest(t *testing.T) *leakKeys {
	t.Helper()
	leakKeysOnce.Do(func() { leakKeysVal, leakKeysErr = makeLeakKeys() })
	if leakKeysErr != nil {
		t.Fatalf("failed to make the test keys: %v", leakKeysErr)
	}
	return leakKeysVal
}

func makeLeakKeys() (*leakKeys, error) {
	k := &leakKeys{}
	var err error
	if k.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if k.ecPKCS8, err = x509.MarshalPKCS8PrivateKey(k.ec); err != nil {
		return nil, err
	}
	if k.ecSEC1, err = x509.MarshalECPrivateKey(k.ec); err != nil {
		return nil, err
	}
	k.ecPEM = pemText("PRIVATE KEY", k.ecPKCS8)
	k.ecSEC1PEM = pemText("EC PRIVATE KEY", k.ecSEC1)
	pub, err := x509.MarshalPKIXPublicKey(&k.ec.PublicKey)
	if err != nil {
		return nil, err
	}
	k.ecPubPEM = pemText("PUBLIC KEY", pub)
	normal, err := asckey.Parse(k.ecSEC1PEM)
	if err != nil {
		return nil, err
	}
	k.ecNormalPEM = normal.PKCS8PEM

	if k.sa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	if k.saPKCS8, err = x509.MarshalPKCS8PrivateKey(k.sa); err != nil {
		return nil, err
	}
	k.saPKCS1 = x509.MarshalPKCS1PrivateKey(k.sa)
	k.saPEM = pemText("PRIVATE KEY", k.saPKCS8)

	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(other)
	if err != nil {
		return nil, err
	}
	k.rsaPEM = pemText("PRIVATE KEY", der)
	k.rsaMaterial = [][]byte{der, x509.MarshalPKCS1PrivateKey(other)}

	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if der, err = x509.MarshalPKCS8PrivateKey(p384); err != nil {
		return nil, err
	}
	k.p384PEM = pemText("PRIVATE KEY", der)

	certKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Apple Distribution: Leak Test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	if der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &certKey.PublicKey, certKey); err != nil {
		return nil, err
	}
	k.certPEM = pemText("CERTIFICATE", der)

	for _, f := range []struct {
		dst  *string
		name string
	}{{&k.encrypted, "p256_pkcs8_encrypted.pem"}, {&k.legacyEnc, "p256_legacy_encrypted.pem"}} {
		b, err := os.ReadFile(filepath.Join("internal", "asckey", "testdata", f.name))
		if err != nil {
			return nil, err
		}
		*f.dst = string(b)
	}
	return k, nil
}

func pemText(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// seenRequest is one request a stand-in saw, with what it carried.
type seenRequest struct {
	method, path string
	bearer       string // the token of the Authorization header
	assertion    string // the signed assertion of a token request
	body         string // the request body (PUTs to mos.portal)
	// stdoutAt is how many bytes the run had written to stdout when the
	// request arrived: a mask for a token it carries must lie within.
	stdoutAt int64
}

// recorder sits in front of a stand-in's handler (itself behind the fault
// injector) and records each request; echo, if set, may answer instead,
// quoting what the request carried, as a careless or hostile server would.
type recorder struct {
	next   http.Handler
	stdout func() string // path of the run's stdout file

	mu   sync.Mutex
	seen []seenRequest
	echo func(r *http.Request, ex seenRequest) (status int, body string, ok bool)
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := seenRequest{method: r.Method, path: r.URL.Path}
	if info, err := os.Stat(rc.stdout()); err == nil {
		ex.stdoutAt = info.Size()
	}
	if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		ex.bearer = strings.TrimSpace(tok)
	}
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read the request", http.StatusBadRequest)
			return
		}
		ex.body = string(b)
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			if form, err := url.ParseQuery(ex.body); err == nil {
				ex.assertion = form.Get("assertion")
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	rc.mu.Lock()
	rc.seen = append(rc.seen, ex)
	echo := rc.echo
	rc.mu.Unlock()
	if echo != nil {
		if status, body, ok := echo(r, ex); ok {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
			return
		}
	}
	rc.next.ServeHTTP(w, r)
}

func (rc *recorder) exchanges() []seenRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.seen)
}

func (rc *recorder) setEcho(f func(r *http.Request, ex seenRequest) (int, string, bool)) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.echo = f
}

// leakWorld is a fresh App Store Connect, Google and mos.portal for one
// scenario, each behind a recorder on loopback.
type leakWorld struct {
	keys                      *leakKeys
	asc                       *ascstandin.Server
	google                    *googlestandin.Server
	portal                    *portalstandin.Server
	ascRec, googleRec, mosRec *recorder
	ascURL, googleURL, mosURL string
	playJSON                  string // the key file, token_uri pointing at this world's Google

	mu         sync.Mutex
	stdoutPath string
}

func (w *leakWorld) stdout() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stdoutPath
}

func newLeakWorld(t *testing.T, keys *leakKeys) *leakWorld {
	t.Helper()
	w := &leakWorld{keys: keys}
	serve := func(h http.Handler, stopFaults func()) (*recorder, string) {
		rec := &recorder{next: h, stdout: w.stdout}
		srv := httptest.NewServer(rec)
		t.Cleanup(func() {
			stopFaults() // release requests held by a hang fault
			srv.Close()
		})
		return rec, srv.URL
	}

	w.asc = ascstandin.New()
	w.asc.AddKey(ascstandin.Key{KeyID: leakKeyID, IssuerID: leakIssuer, Public: &keys.ec.PublicKey, Role: ascstandin.RoleAdmin})
	w.asc.AddApp(ascstandin.App{ID: "1", BundleID: leakBundleID, Name: "Weather", IssuerID: leakIssuer})
	w.ascRec, w.ascURL = serve(w.asc.Handler(), w.asc.Faults().Close)

	w.google = googlestandin.New()
	w.google.AddServiceAccount(leakEmail, leakPlayKey, &keys.sa.PublicKey, "123456789012")
	w.google.AddPackage(leakPackage, leakEmail)
	w.googleRec, w.googleURL = serve(w.google.Handler(), w.google.Faults().Close)
	doc, err := googlestandin.KeyFile(leakEmail, leakPlayKey, "leak-test", w.googleURL+"/token", keys.sa)
	if err != nil {
		t.Fatal(err)
	}
	w.playJSON = string(doc)

	w.portal = portalstandin.New()
	w.portal.AddToken(leakToken, leakProject)
	w.portal.AddToken("mos_other_token_Z1x2c3v4b5n6m7", "elsewhere")
	w.portal.AddApp(leakProject, leakApp)
	w.mosRec, w.mosURL = serve(w.portal.Handler(), w.portal.Faults().Close)
	return w
}

// appleInputs are the inputs of a run with the App Store Connect key given
// as key, synced to one mos.portal app.
func (w *leakWorld) appleInputs(key string) map[string]string {
	return map[string]string{
		"asc-key": key, "asc-key-id": leakKeyID, "asc-issuer-id": leakIssuer, "asc-api-url": w.ascURL,
		"mos-url": w.mosURL, "mos-token": leakToken, "mos-project": leakProject, "mos-apps": leakApp,
		"timeout": "30s",
	}
}

// playInputs are the inputs of a run with the Play key given as key.
func (w *leakWorld) playInputs(key string) map[string]string {
	return map[string]string{
		"play-service-account": key, "play-api-url": w.googleURL, "play-package-names": leakPackage,
		"mos-url": w.mosURL, "mos-token": leakToken, "mos-project": leakProject, "mos-apps": leakApp,
		"timeout": "30s",
	}
}

func (w *leakWorld) bothInputs() map[string]string {
	in := w.appleInputs(w.keys.ecPEM)
	for k, v := range w.playInputs(w.playJSON) {
		in[k] = v
	}
	return in
}

func withInputs(in map[string]string, kv ...string) map[string]string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(in, kv[i])
		} else {
			in[kv[i]] = kv[i+1]
		}
	}
	return in
}

type leakCase struct {
	name    string
	class   string // intake, rejection, store, fault
	inputs  func(w *leakWorld) map[string]string
	prepare func(w *leakWorld)
	files   func(w *leakWorld) map[string]string // files in the workspace before the run
	// secrets are further raw values to treat as secret: a key given in an
	// input meant for something else.
	secrets func(w *leakWorld) []string
	// wantCode is the exit code; -1 accepts either (a fault whose outcome
	// the fault matrix proves; here only the absence of leaks matters).
	wantCode int
	want     string // text the log must hold, proving the scenario ran as named
	// ascOK and playOK say the key passes intake, so its normalised forms
	// must be masked as well as the lines received.
	ascOK, playOK bool
	noRequests    bool // refused before any request
}

func leakCases() []leakCase {
	k := func(w *leakWorld) *leakKeys { return w.keys }
	apple := func(form func(w *leakWorld) string) func(w *leakWorld) map[string]string {
		return func(w *leakWorld) map[string]string { return w.appleInputs(form(w)) }
	}
	play := func(form func(w *leakWorld) string) func(w *leakWorld) map[string]string {
		return func(w *leakWorld) map[string]string { return w.playInputs(form(w)) }
	}
	good := func(w *leakWorld) map[string]string { return w.appleInputs(w.keys.ecPEM) }
	goodPlay := func(w *leakWorld) map[string]string { return w.playInputs(w.playJSON) }
	addFault := func(srv func(w *leakWorld) *fault.Injector, f ...fault.Fault) func(w *leakWorld) {
		return func(w *leakWorld) { srv(w).Add(f...) }
	}
	ascF := func(w *leakWorld) *fault.Injector { return w.asc.Faults() }
	mosF := func(w *leakWorld) *fault.Injector { return w.portal.Faults() }
	googleF := func(w *leakWorld) *fault.Injector { return w.google.Faults() }
	const tokenPath, editsPath = "/token", "/androidpublisher/"

	var cases []leakCase
	stamp := func(class string, cs []leakCase) {
		for _, c := range cs {
			c.class = class
			switch class {
			case "intake":
				c.wantCode = 0
			case "rejection":
				c.wantCode, c.noRequests = 1, true
			case "store":
				c.wantCode = 1
			}
			cases = append(cases, c)
		}
	}
	stamp("intake", []leakCase{
		// Every form of the App Store Connect key that intake accepts.
		{name: "asc PEM as downloaded", inputs: good, wantCode: 0, ascOK: true, want: "uploaded"},
		{name: "asc PEM without final newline", inputs: apple(func(w *leakWorld) string { return strings.TrimSpace(k(w).ecPEM) }), wantCode: 0, ascOK: true},
		{name: "asc PEM with CRLF", inputs: apple(func(w *leakWorld) string { return strings.ReplaceAll(k(w).ecPEM, "\n", "\r\n") }), wantCode: 0, ascOK: true},
		{name: "asc base64 of the file", inputs: apple(func(w *leakWorld) string { return base64Of(k(w).ecPEM) }), wantCode: 0, ascOK: true},
		{name: "asc base64 wrapped at 76", inputs: apple(func(w *leakWorld) string { return wrapAt(base64Of(k(w).ecPEM), 76) }), wantCode: 0, ascOK: true},
		{name: "asc literal \\n escapes", inputs: apple(func(w *leakWorld) string { return strings.ReplaceAll(k(w).ecPEM, "\n", `\n`) }), wantCode: 0, ascOK: true},
		{name: "asc PEM on one line", inputs: apple(func(w *leakWorld) string { return strings.ReplaceAll(strings.TrimSpace(k(w).ecPEM), "\n", " ") }), wantCode: 0, ascOK: true},
		{name: "asc body without BEGIN and END", inputs: apple(func(w *leakWorld) string { return pemBodyOf(k(w).ecPEM) }), wantCode: 0, ascOK: true},
		{name: "asc BOM, quotes and blank lines", inputs: apple(func(w *leakWorld) string { return "\uFEFF\"\n" + k(w).ecPEM + "\n\"\n\n" }), wantCode: 0, ascOK: true},
		{name: "asc SEC1 EC PRIVATE KEY", inputs: apple(func(w *leakWorld) string { return k(w).ecSEC1PEM }), wantCode: 0, ascOK: true},
		{name: "asc SEC1 base64", inputs: apple(func(w *leakWorld) string { return base64Of(k(w).ecSEC1PEM) }), wantCode: 0, ascOK: true},
		{
			name: "asc key file in the workspace",
			inputs: func(w *leakWorld) map[string]string {
				return withInputs(w.appleInputs(""), "asc-key", "", "asc-key-id", "", "asc-key-file", "AuthKey_"+leakKeyID+".p8")
			},
			files: func(w *leakWorld) map[string]string {
				return map[string]string{"AuthKey_" + leakKeyID + ".p8": w.keys.ecPEM}
			},
			secrets:  func(w *leakWorld) []string { return []string{w.keys.ecPEM} },
			wantCode: 0, ascOK: true,
		},
		{name: "asc with a visible bundle ID", inputs: func(w *leakWorld) map[string]string { return withInputs(good(w), "asc-bundle-ids", leakBundleID) }, wantCode: 0, ascOK: true},
		{name: "asc check mode without mos.portal", inputs: func(w *leakWorld) map[string]string {
			return withInputs(good(w), "mode", "check", "mos-url", "", "mos-token", "", "mos-project", "", "mos-apps", "")
		}, wantCode: 0, ascOK: true},

		// Every form of the Play key that intake accepts.
		{name: "play JSON as downloaded", inputs: goodPlay, wantCode: 0, playOK: true, want: "uploaded"},
		{name: "play base64 of the JSON", inputs: play(func(w *leakWorld) string { return base64Of(w.playJSON) }), wantCode: 0, playOK: true},
		{name: "play base64 wrapped at 76", inputs: play(func(w *leakWorld) string { return wrapAt(base64Of(w.playJSON), 76) }), wantCode: 0, playOK: true},
		{name: "play JSON inside a JSON string", inputs: play(func(w *leakWorld) string { return jsonString(w.playJSON) }), wantCode: 0, playOK: true},
		{name: "play base64 of base64", inputs: play(func(w *leakWorld) string { return base64Of(base64Of(w.playJSON)) }), wantCode: 0, playOK: true},
		{name: "play base64 of a JSON string", inputs: play(func(w *leakWorld) string { return base64Of(jsonString(w.playJSON)) }), wantCode: 0, playOK: true},
		{name: "play JSON with a BOM and CRLF", inputs: play(func(w *leakWorld) string { return "\uFEFF" + strings.ReplaceAll(w.playJSON, "\n", "\r\n") }), wantCode: 0, playOK: true},
		{
			name: "play key file in the workspace",
			inputs: func(w *leakWorld) map[string]string {
				return withInputs(w.playInputs(""), "play-service-account", "", "play-service-account-file", "sa.json")
			},
			files:    func(w *leakWorld) map[string]string { return map[string]string{"sa.json": w.playJSON} },
			secrets:  func(w *leakWorld) []string { return []string{w.playJSON} },
			wantCode: 0, playOK: true,
		},
		{name: "both keys together", inputs: func(w *leakWorld) map[string]string { return w.bothInputs() }, wantCode: 0, ascOK: true, playOK: true},
	})

	stamp("rejection", []leakCase{
		// Every class of rejection, before any request.
		{name: "asc RSA key", inputs: apple(func(w *leakWorld) string { return k(w).rsaPEM }), want: "RSA"},
		{name: "asc RSA key base64", inputs: apple(func(w *leakWorld) string { return base64Of(k(w).rsaPEM) }), want: "RSA"},
		{name: "asc P-384 key", inputs: apple(func(w *leakWorld) string { return k(w).p384PEM }), want: "P-384"},
		{name: "asc encrypted PKCS#8", inputs: apple(func(w *leakWorld) string { return k(w).encrypted }), want: "encrypted"},
		{name: "asc legacy encrypted SEC1", inputs: apple(func(w *leakWorld) string { return k(w).legacyEnc }), want: "encrypted"},
		{name: "asc truncated PEM", inputs: apple(func(w *leakWorld) string { return k(w).ecPEM[:len(k(w).ecPEM)*2/3] }), want: "truncated"},
		{name: "asc truncated base64", inputs: apple(func(w *leakWorld) string { s := base64Of(k(w).ecPEM); return s[:len(s)-30] })},
		{name: "asc public key", inputs: apple(func(w *leakWorld) string { return k(w).ecPubPEM }), want: "public key"},
		{name: "asc certificate", inputs: apple(func(w *leakWorld) string { return k(w).certPEM }), want: "certificate"},
		{name: "asc Google JSON", inputs: apple(func(w *leakWorld) string { return w.playJSON }), want: "service account",
			secrets: func(w *leakWorld) []string { return []string{w.playJSON} }},
		{name: "play .p8 key", inputs: play(func(w *leakWorld) string { return k(w).ecPEM }), want: "App Store Connect key given as Play key"},
		{name: "asc key ID malformed", inputs: func(w *leakWorld) map[string]string { return withInputs(good(w), "asc-key-id", "abc") }, want: "Key ID"},
		{name: "asc issuer ID is a team ID", inputs: func(w *leakWorld) map[string]string { return withInputs(good(w), "asc-issuer-id", "A1B2C3D4E5") }, want: "Team ID"},
		{name: "asc no issuer ID", inputs: func(w *leakWorld) map[string]string { return withInputs(good(w), "asc-issuer-id", "") }, want: "team keys"},
		{name: "asc empty key", inputs: func(w *leakWorld) map[string]string { return withInputs(good(w), "asc-key", "") }, want: "Dependabot"},
		{name: "play empty key", inputs: func(w *leakWorld) map[string]string { return withInputs(goodPlay(w), "play-service-account", "") }, want: "Dependabot"},
		{name: "nothing given", inputs: func(*leakWorld) map[string]string { return map[string]string{} }, want: "Dependabot"},

		// Values crafted so that a decoder error quoting its input would
		// show secret-looking text.
		{name: "asc base64 with a bad character", inputs: apple(func(w *leakWorld) string { return spoil(base64Of(k(w).ecPEM), 97, '!') })},
		{name: "asc PEM body with a bad character", inputs: apple(func(w *leakWorld) string { return spoil(k(w).ecPEM, 90, '#') })},
		{name: "asc body only with a bad character", inputs: apple(func(w *leakWorld) string { return spoil(pemBodyOf(k(w).ecPEM), 40, '*') })},
		{name: "asc fastlane JSON holding the key", inputs: apple(func(w *leakWorld) string {
			return fmt.Sprintf(`{"key_id":%q,"issuer_id":%q,"key":%s,"in_house":false}`, leakKeyID, leakIssuer, jsonString(k(w).ecPEM))
		})},
		{name: "asc JSON syntax error after the key", inputs: apple(func(w *leakWorld) string {
			return fmt.Sprintf(`{"key":%s "issuer_id" %q}`, jsonString(k(w).ecPEM), leakIssuer)
		})},
		{name: "play JSON syntax error after the private key", inputs: play(func(w *leakWorld) string {
			return strings.Replace(w.playJSON, `"client_email": `, `"client_email" `, 1)
		})},
		{name: "play JSON cut inside the private key", inputs: play(func(w *leakWorld) string { return w.playJSON[:len(w.playJSON)/2] })},
		{name: "play JSON with trailing garbage", inputs: play(func(w *leakWorld) string {
			return w.playJSON + "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQ" + "\n"
		})},
		{name: "play base64 with a bad character", inputs: play(func(w *leakWorld) string { return spoil(base64Of(w.playJSON), 501, '$') })},
		{name: "play private key with a bad character", inputs: play(func(w *leakWorld) string {
			i := strings.Index(w.playJSON, "MII") + 300
			return spoil(w.playJSON, i, '%')
		})},
		{name: "play private key of the wrong type", inputs: play(func(w *leakWorld) string {
			return strings.Replace(w.playJSON, `"private_key": "`, `"private_key": 12345, "x": "`, 1)
		})},
		{name: "play private key base64 damaged", inputs: play(func(w *leakWorld) string {
			i := strings.Index(w.playJSON, "MII")
			return w.playJSON[:i+64] + strings.Repeat("A", 40) + w.playJSON[i+104:]
		})},
		{
			name: "asc key given in asc-key-id (swapped secrets)",
			inputs: func(w *leakWorld) map[string]string {
				return withInputs(good(w), "asc-key", leakKeyID, "asc-key-id", w.keys.ecPEM)
			},
			secrets: func(w *leakWorld) []string { return []string{w.keys.ecPEM} },
		},
		{
			name: "asc key given in asc-issuer-id",
			inputs: func(w *leakWorld) map[string]string {
				return withInputs(good(w), "asc-issuer-id", base64Of(w.keys.ecPEM))
			},
			secrets: func(w *leakWorld) []string { return []string{w.keys.ecPEM} },
		},
		{
			name: "asc key in asc-key-id disagreeing with the file name",
			inputs: func(w *leakWorld) map[string]string {
				return withInputs(w.appleInputs(""), "asc-key", "", "asc-key-id", strings.ReplaceAll(w.keys.ecPEM, "\n", `\n`), "asc-key-file", "AuthKey_"+leakKeyID+".p8")
			},
			files: func(w *leakWorld) map[string]string {
				return map[string]string{"AuthKey_" + leakKeyID + ".p8": w.keys.ecPEM}
			},
			secrets: func(w *leakWorld) []string { return []string{w.keys.ecPEM} },
		},
	})

	stamp("store", []leakCase{
		// Every class of store failure.
		{name: "asc key revoked (401)", inputs: good, prepare: func(w *leakWorld) { w.asc.RevokeKey(leakKeyID) }, want: "401 NOT_AUTHORIZED"},
		{name: "asc role lacks access (403)", inputs: good, prepare: func(w *leakWorld) {
			w.asc.AddKey(ascstandin.Key{KeyID: leakKeyID, IssuerID: leakIssuer, Public: &w.keys.ec.PublicKey, Role: ascstandin.RoleFinance})
		}, want: "403"},
		{name: "asc agreement not accepted (403)", inputs: good, prepare: func(w *leakWorld) {
			w.asc.SetAgreement(leakIssuer, ascstandin.AgreementExpired)
		}, want: "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED", ascOK: true},
		{name: "asc agreement hides every app", inputs: func(w *leakWorld) map[string]string {
			return withInputs(good(w), "asc-bundle-ids", leakBundleID)
		}, prepare: func(w *leakWorld) { w.asc.SetAgreement(leakIssuer, ascstandin.AgreementHidesApps) }, want: "can see none of the apps asked for", ascOK: true},
		{name: "asc bundle ID not visible", inputs: func(w *leakWorld) map[string]string {
			return withInputs(good(w), "asc-bundle-ids", leakBundleID+",com.acme.missing")
		}, want: "com.acme.missing"},
		{name: "google invalid_grant (key deleted)", inputs: goodPlay, prepare: func(w *leakWorld) { w.google.DeleteKey(leakEmail, leakPlayKey) }, want: "invalid_grant"},
		{name: "google account deleted", inputs: goodPlay, prepare: func(w *leakWorld) { w.google.DeleteServiceAccount(leakEmail) }, want: "invalid_grant"},
		{name: "play 403 not invited", inputs: goodPlay, prepare: func(w *leakWorld) { w.google.RevokeAccess(leakPackage, leakEmail) }, want: "403"},
		{name: "play 404 no such app", inputs: func(w *leakWorld) map[string]string {
			return withInputs(goodPlay(w), "play-package-names", "com.acme.unknown")
		}, want: "404"},
		{name: "play API disabled", inputs: goodPlay, prepare: func(w *leakWorld) { w.google.DisableAPI("123456789012") }, want: "disabled"},
		{name: "mos 401 unknown token", inputs: func(w *leakWorld) map[string]string {
			return withInputs(good(w), "mos-token", "mos_wrong_token_P0o9i8u7y6t5r4")
		}, want: "mos.portal rejected the token"},
		{name: "mos 403 token of another project", inputs: func(w *leakWorld) map[string]string {
			return withInputs(good(w), "mos-token", "mos_other_token_Z1x2c3v4b5n6m7")
		}, want: "403"},
		{name: "mos app not found", inputs: func(w *leakWorld) map[string]string { return withInputs(good(w), "mos-apps", "nosuchapp") }, want: "app_not_found"},
		{name: "mos play key app not found", inputs: func(w *leakWorld) map[string]string { return withInputs(goodPlay(w), "mos-apps", "nosuchapp") }, want: "app_not_found"},
	})

	// Faults, for each service.
	type svc struct {
		name   string
		inputs func(w *leakWorld) map[string]string
		inj    func(w *leakWorld) *fault.Injector
		method string
		path   string
		// harmless: no fault of this service fails the run (the key's
		// certificate list only tells its lifetime).
		harmless bool
	}
	editPlay := func(w *leakWorld) map[string]string { return withInputs(goodPlay(w), "play-check", "edit") }
	services := []svc{
		{"asc", good, ascF, "", "/v1/", false},
		{"mos GET", good, mosF, "GET", "/api/", false},
		{"mos PUT", good, mosF, "PUT", "/api/", false},
		{"mos android PUT", goodPlay, mosF, "PUT", "/api/", false},
		{"google token", goodPlay, googleF, "", tokenPath, false},
		{"play edits", editPlay, googleF, "POST", editsPath, false},
		{"play releases", goodPlay, googleF, "GET", editsPath, false},
		{"google certificates", goodPlay, googleF, "GET", googlestandin.CertPath, true},
	}
	for _, s := range services {
		m := func(f fault.Fault) fault.Fault { f.Method, f.PathPrefix = s.method, s.path; return f }
		cs := []leakCase{
			{name: s.name + " 503 burst", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Status, Status: 503, Times: 2})), wantCode: 0},
			{name: s.name + " reset mid-answer", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Reset, Times: 1})), wantCode: -1},
			{name: s.name + " dropped connection", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Drop, Times: 1})), wantCode: -1},
			{name: s.name + " malformed", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Malformed})), wantCode: 1},
			{name: s.name + " truncated", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Truncated})), wantCode: -1},
			{name: s.name + " huge body", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Huge, Size: 3 << 20})), wantCode: 1},
			{name: s.name + " redirect", inputs: s.inputs, prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Redirect})), wantCode: 1},
			{name: s.name + " hang", inputs: func(w *leakWorld) map[string]string { return withInputs(s.inputs(w), "timeout", "500ms") },
				prepare: addFault(s.inj, m(fault.Fault{Kind: fault.Hang})), wantCode: 1},
		}
		if s.harmless {
			for i := range cs {
				cs[i].wantCode = 0
			}
		}
		stamp("fault", cs)
	}

	// Servers that quote what they were sent.
	stamp("fault", []leakCase{
		{name: "asc 401 echoing the token", inputs: good, wantCode: 1, prepare: func(w *leakWorld) {
			w.ascRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				detail, _ := json.Marshal("Authentication credentials are missing or invalid: Bearer " + ex.bearer)
				return 401, `{"errors":[{"id":"1","status":"401","code":"NOT_AUTHORIZED","title":"Bearer ` + ex.bearer + `","detail":` + string(detail) + `}]}`, true
			})
		}},
		{name: "asc 401 echoing part of the token's signature", inputs: good, wantCode: 1, prepare: func(w *leakWorld) {
			w.ascRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				parts := strings.Split(ex.bearer, ".")
				if len(parts) != 3 {
					return 0, "", false
				}
				return 401, `{"errors":[{"id":"1","status":"401","code":"NOT_AUTHORIZED","title":"Authentication credentials are missing or invalid.","detail":"Signature ` + parts[2][:60] + ` does not verify"}]}`, true
			})
		}},
		{name: "asc 200 echoing the token", inputs: good, wantCode: 1, prepare: func(w *leakWorld) {
			w.ascRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				return 200, `{"token":"` + ex.bearer + `"}`, true
			})
		}},
		{name: "mos 422 echoing the upload", inputs: good, wantCode: 1, prepare: func(w *leakWorld) {
			w.mosRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				if r.Method != http.MethodPut {
					return 0, "", false
				}
				msg, _ := json.Marshal("cannot store " + ex.body)
				return 422, `{"error":{"code":"invalid_key","message":` + string(msg) + `}}`, true
			})
		}},
		{name: "mos 422 quoting a fragment of the key", inputs: good, wantCode: 1, prepare: func(w *leakWorld) {
			w.mosRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				var up struct{ PrivateKey string }
				if r.Method != http.MethodPut || json.Unmarshal([]byte(ex.body), &up) != nil {
					return 0, "", false
				}
				body := strings.Join(strings.Fields(pemBodyOf(up.PrivateKey)), "")
				return 422, `{"error":{"code":"invalid_key","message":"asn1: structure error near '` + body[100:128] + `'"}}`, true
			})
		}},
		{name: "mos 500 echoing the token and upload", inputs: good, wantCode: 1, prepare: func(w *leakWorld) {
			w.mosRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				return 500, "<html><pre>Authorization: Bearer " + ex.bearer + "\n" + ex.body + "</pre></html>", true
			})
		}},
		{name: "mos 200 echoing the android upload", inputs: goodPlay, wantCode: 1, prepare: func(w *leakWorld) {
			w.mosRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				if r.Method != http.MethodPut {
					return 0, "", false
				}
				return 200, ex.body, true
			})
		}},
		{name: "google token 400 echoing the assertion", inputs: goodPlay, wantCode: 1, prepare: func(w *leakWorld) {
			w.googleRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				if ex.assertion == "" {
					return 0, "", false
				}
				return 400, `{"error":"invalid_grant","error_description":"Invalid JWT: ` + ex.assertion + `"}`, true
			})
		}},
		{name: "google token 400 echoing the assertion's signature", inputs: goodPlay, wantCode: 1, prepare: func(w *leakWorld) {
			w.googleRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				parts := strings.Split(ex.assertion, ".")
				if len(parts) != 3 {
					return 0, "", false
				}
				return 400, `{"error":"invalid_grant","error_description":"Invalid JWT Signature ` + parts[2][:60] + `"}`, true
			})
		}},
		{name: "google token 200 without a token echoing the assertion", inputs: goodPlay, wantCode: 1, prepare: func(w *leakWorld) {
			w.googleRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				if ex.assertion == "" {
					return 0, "", false
				}
				return 200, `{"assertion":"` + ex.assertion + `"}`, true
			})
		}},
		{name: "play 401 echoing the access token", inputs: goodPlay, wantCode: 1, prepare: func(w *leakWorld) {
			w.googleRec.setEcho(func(r *http.Request, ex seenRequest) (int, string, bool) {
				if !strings.HasPrefix(ex.path, editsPath) {
					return 0, "", false
				}
				return 401, `{"error":{"code":401,"message":"Invalid Credentials: ` + ex.bearer + `","status":"UNAUTHENTICATED","errors":[{"reason":"authError ` + ex.bearer + `"}]}}`, true
			})
		}},
	})

	return cases
}

func TestLeaksNoSecret(t *testing.T) {
	t.Parallel()
	keys := keysForLeakTest(t)
	classes := map[string]int{}
	cases := leakCases()
	for _, tc := range cases {
		classes[tc.class]++
	}
	t.Logf("%d scenarios: %v", len(cases), classes)

	for _, tc := range cases {
		t.Run(tc.class+"/"+tc.name, func(t *testing.T) {
			t.Parallel()
			w := newLeakWorld(t, keys)
			if tc.prepare != nil {
				tc.prepare(w)
			}
			in := tc.inputs(w)
			var files map[string]string
			if tc.files != nil {
				files = tc.files(w)
			}
			run := runIsolated(t, w, in, files)

			if tc.wantCode >= 0 && run.code != tc.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", run.code, tc.wantCode, run.stdout, run.stderr)
			}
			if tc.want != "" && !strings.Contains(run.stdout, tc.want) {
				t.Errorf("the log does not mention %q, so the scenario did not run as named:\n%s", tc.want, run.stdout)
			}
			for _, ex := range w.googleRec.exchanges() {
				// The certificate list is public: it gets no credential.
				if strings.HasPrefix(ex.path, googlestandin.CertPath) && (ex.bearer != "" || ex.assertion != "" || ex.body != "") {
					t.Errorf("the request for the certificate list carried a credential or a body")
				}
			}
			requests := len(w.ascRec.exchanges()) + len(w.googleRec.exchanges()) + len(w.mosRec.exchanges())
			if tc.noRequests && requests != 0 {
				t.Errorf("%d requests were sent; the inputs must be refused before any", requests)
			}

			set := newSecretSet()
			for _, name := range []string{"asc-key", "play-service-account", "mos-token"} {
				set.addRaw(in[name], 0, true)
			}
			if tc.secrets != nil {
				for _, s := range tc.secrets(w) {
					set.addRaw(s, 0, false)
				}
			}
			// The keys of this world are secret in every scenario, whether
			// or not they were given.
			// Go's PKCS#8 layout is OpenSSL's: a later step that re-encodes
			// the key prints it, so it is masked whatever form was given.
			set.addKey(keys.ec, tc.ascOK)
			set.addPEM(keys.ecNormalPEM, tc.ascOK)
			set.addKey(keys.sa, tc.playOK)
			for _, der := range keys.rsaMaterial {
				set.addDER(der, false)
			}
			tokens := set.addExchanges(w)
			kinds := map[string]int{}
			for _, tok := range tokens {
				kinds[tok.what]++
			}
			if tc.ascOK && kinds["the App Store Connect JWT"] == 0 {
				t.Error("no App Store Connect JWT was recorded; the mask-before-send check did not run")
			}
			if tc.playOK && (kinds["the Google assertion"] == 0 || kinds["the Google access token"] == 0) {
				t.Error("no Google assertion or access token was recorded; the mask-before-send check did not run")
			}
			if (tc.ascOK || tc.playOK) && len(set.required) == 0 {
				t.Error("nothing is required to be masked; the mask-first check did not run")
			}
			t.Logf("%d secret-derived strings looked for, %d lines that must be masked first, %d credentials sent", len(set.needles), len(set.required), len(tokens))

			assertNoSecretIn(t, run, set)
			assertMaskedFirst(t, run, set, tokens)
			assertNothingOnDisk(t, run, set)
		})
	}
}

// isolatedRun is what one run left behind.
type isolatedRun struct {
	runOutput
	root           string // TMPDIR, HOME, workspace and the runner files below it
	outFile        string // GITHUB_OUTPUT
	summaryFile    string // GITHUB_STEP_SUMMARY
	outRaw         string
	before         map[string]string // files present before the run, by path
	duration       time.Duration
	stdoutFilePath string
}

// runIsolated runs the program in-process as a runner runs the binary, with
// a fresh empty workspace and runner directory and nothing of the test's
// environment (TMPDIR and HOME are set too, for what reads them through the
// environment it is given). stdout goes to a file, so a stand-in can tell
// how much the run had printed when a request arrived.
func runIsolated(t *testing.T, w *leakWorld, inputs, files map[string]string) isolatedRun {
	t.Helper()
	root := t.TempDir()
	r := isolatedRun{root: root, before: map[string]string{}}
	dirs := map[string]string{}
	for _, d := range []string{"tmp", "home", "workspace", "runner"} {
		dirs[d] = filepath.Join(root, d)
		if err := os.Mkdir(dirs[d], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		path := filepath.Join(dirs["workspace"], name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		r.before[path] = content
	}
	r.outFile = filepath.Join(dirs["runner"], "output")
	r.summaryFile = filepath.Join(dirs["runner"], "summary")
	env := map[string]string{
		"GITHUB_OUTPUT":       r.outFile,
		"GITHUB_STEP_SUMMARY": r.summaryFile,
		"GITHUB_WORKSPACE":    dirs["workspace"],
		"HOME":                dirs["home"],
		"TMPDIR":              dirs["tmp"],
	}
	for k, v := range inputs {
		env["INPUT_"+strings.ToUpper(k)] = v
	}

	logs := t.TempDir()
	r.stdoutFilePath = filepath.Join(logs, "stdout")
	stdout, err := os.Create(r.stdoutFilePath)
	if err != nil {
		t.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(logs, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	w.mu.Lock()
	w.stdoutPath = r.stdoutFilePath
	w.mu.Unlock()

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	r.code = run(ctx, nil, testDeps(env, stdout), stderr)
	r.duration = time.Since(start)
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
		return string(b)
	}
	r.stdout, r.stderr = read(r.stdoutFilePath), read(filepath.Join(logs, "stderr"))
	r.outRaw, r.summary = read(r.outFile), read(r.summaryFile)
	return r
}

// secretSet is every secret-derived string of one scenario.
type secretSet struct {
	needles  map[string]string // text to look for → what it is (for messages)
	required map[string]string // lines that must be masked before any other output
	der      [][]byte          // DER of keys, to look for in files as bytes
}

func newSecretSet() *secretSet {
	return &secretSet{needles: map[string]string{}, required: map[string]string{}}
}

var (
	armour      = regexp.MustCompile(`^-----(BEGIN|END) [A-Z0-9 ]+-----$`)
	publicField = regexp.MustCompile(`^\\?"(type|project_id|private_key_id|client_email|client_id|auth_uri|token_uri|auth_provider_x509_cert_url|client_x509_cert_url|universe_domain|key_id|issuer_id|in_house)\\?"\s*:`)
	base64Piece = regexp.MustCompile(`^[A-Za-z0-9+/=]{16,}$`)
	base64Run   = regexp.MustCompile(`[A-Za-z0-9+/=]{16,}`)
	armourIn    = regexp.MustCompile(`-----(BEGIN|END) [A-Z0-9 ]+-----`)
	lineBreak   = regexp.MustCompile(`\r\n|\r|\n|(\\+r)?\\+n`)
	pemBlock    = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END [A-Z0-9 ]+-----`)
)

func (s *secretSet) add(needle, what string, required bool) {
	if len(needle) < 8 {
		return
	}
	s.needles[needle] = what
	if required {
		s.required[needle] = what
	}
}

// addRaw records a value as received: the value, each line of it (also
// between literal \n escapes, and each base64 piece of a line), the base64
// of all of it, and whatever it decodes to (base64, a JSON string, a JSON
// object's key fields, PEM blocks), recursively. required marks the lines a
// workflow log could show as they are, which must be masked.
func (s *secretSet) addRaw(raw string, depth int, required bool) {
	if strings.TrimSpace(raw) == "" || depth > 4 {
		return
	}
	s.add(strings.TrimSpace(raw), "the value", false)
	s.add(base64.StdEncoding.EncodeToString([]byte(raw)), "the base64 of the value", false)
	// Whole lines as a log would show them, then the pieces between
	// literal \n escapes.
	lines := strings.FieldsFunc(raw, func(r rune) bool { return r == '\n' || r == '\r' })
	lines = append(lines, lineBreak.Split(raw, -1)...)
	for _, line := range lines {
		line = strings.Trim(line, " \t\uFEFF")
		if publicField.MatchString(line) || !base64Run.MatchString(armourIn.ReplaceAllString(line, "")) {
			continue // no key material: JSON punctuation, public fields, BEGIN/END lines
		}
		s.add(line, "a line of the value", required)
		s.add(strings.Trim(line, `"',`), "a line of the value", false)
		if strings.ContainsAny(line, " \t") {
			for _, piece := range strings.Fields(line) {
				if piece = strings.Trim(piece, `"',`); base64Piece.MatchString(piece) {
					s.add(piece, "a piece of a line of the value", required)
				}
			}
		}
	}
	// What the value decodes to.
	text := strings.Trim(strings.TrimSpace(strings.TrimPrefix(raw, "\uFEFF")), `"'`)
	unescaped := lineBreak.ReplaceAllString(raw, "\n")
	for _, m := range pemBlock.FindAllStringSubmatch(unescaped, -1) {
		body := m[2]
		if i := strings.Index(body, "\n\n"); i >= 0 && strings.Contains(body[:i], ":") {
			body = body[i:] // RFC 1421 headers of a legacy encrypted key
		}
		if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), "")); err == nil {
			s.addDER(der, false)
		}
	}
	if compact := strings.Join(strings.Fields(text), ""); base64Piece.MatchString(compact) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if b, err := enc.DecodeString(compact); err == nil {
				if isPrintable(b) {
					s.addRaw(string(b), depth+1, required)
				} else {
					s.addDER(b, false)
				}
				break
			}
		}
	}
	trimmed := strings.TrimSpace(strings.TrimPrefix(raw, "\uFEFF"))
	var str string
	if strings.HasPrefix(trimmed, `"`) && json.Unmarshal([]byte(trimmed), &str) == nil {
		s.addRaw(str, depth+1, required)
	}
	var obj map[string]any
	if strings.HasPrefix(trimmed, "{") && json.Unmarshal([]byte(trimmed), &obj) == nil {
		for _, name := range []string{"private_key", "key", "privateKey", "serviceAccountJson"} {
			if v, ok := obj[name].(string); ok {
				s.addRaw(v, depth+1, required)
				if b, err := json.Marshal(v); err == nil {
					s.add(strings.Trim(string(b), `"`), "the value as a JSON string", false)
				}
			}
		}
	}
}

// addDER records key material: its base64, every 24-character run of that
// base64, and the bytes (for files), for each encoding of the key it holds.
func (s *secretSet) addDER(der []byte, required bool) {
	ders := [][]byte{der}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		switch k := k.(type) {
		case *ecdsa.PrivateKey:
			if sec1, err := x509.MarshalECPrivateKey(k); err == nil {
				ders = append(ders, sec1)
			}
		case *rsa.PrivateKey:
			ders = append(ders, x509.MarshalPKCS1PrivateKey(k))
		}
	} else if k, err := x509.ParseECPrivateKey(der); err == nil {
		if p8, err := x509.MarshalPKCS8PrivateKey(k); err == nil {
			ders = append(ders, p8)
		}
	} else if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		if p8, err := x509.MarshalPKCS8PrivateKey(k); err == nil {
			ders = append(ders, p8)
		}
	}
	for _, d := range ders {
		s.der = append(s.der, d)
		b := base64.StdEncoding.EncodeToString(d)
		s.add(b, "the base64 of the DER", required)
		for i := 0; i+24 <= len(b); i++ {
			s.add(b[i:i+24], "a run of the base64 of the DER", false)
		}
	}
}

// addKey records a key of the world: the body lines and DER, in every
// encoding, of its PKCS#8 PEM as Go writes it, and its private scalar.
// normalised marks them as what the action must mask.
func (s *secretSet) addKey(k any, normalised bool) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		panic(err)
	}
	s.addPEM(pemText("PRIVATE KEY", der), normalised)
	switch k := k.(type) {
	case *ecdsa.PrivateKey:
		scalar, err := k.Bytes()
		if err != nil {
			panic(err)
		}
		s.der = append(s.der, scalar)
	case *rsa.PrivateKey:
		s.der = append(s.der, k.D.Bytes()[:64])
	}
}

// addPEM records the body lines of a PEM key and its DER in every encoding.
func (s *secretSet) addPEM(p string, required bool) {
	for _, line := range strings.Split(p, "\n") {
		if line != "" && !armour.MatchString(line) {
			s.add(line, "a line of the normalised PEM", required)
		}
	}
	if block, _ := pem.Decode([]byte(p)); block != nil {
		s.addDER(block.Bytes, required)
	}
}

// addUpload records what was sent to mos.portal: the key inside the body is
// the normalised key, which must have been masked.
func (s *secretSet) addUpload(body string) {
	s.add(body, "a mos.portal upload", false)
	s.addRaw(body, 0, false)
	var up map[string]any
	if json.Unmarshal([]byte(body), &up) != nil {
		return
	}
	if v, ok := up["privateKey"].(string); ok {
		s.addPEM(v, true)
	}
	if v, ok := up["serviceAccountJson"].(string); ok {
		s.addRaw(v, 0, true)
	}
}

// credential is a token the binary made and sent: it must be masked before
// the request that carried it.
type credential struct {
	what, value string
	sentAt      int64 // bytes of stdout written when the request arrived
}

// addExchanges records what the stand-ins were sent: the App Store Connect
// JWT, the Google assertion and access token, mos.portal uploads.
func (s *secretSet) addExchanges(w *leakWorld) []credential {
	var tokens []credential
	add := func(what, value string, at int64) {
		if value == "" {
			return
		}
		s.add(value, what, false)
		if parts := strings.Split(value, "."); len(parts) == 3 {
			for i := 0; i+24 <= len(parts[2]); i++ {
				s.add(parts[2][i:i+24], "a run of "+what+"'s signature", false)
			}
		}
		tokens = append(tokens, credential{what: what, value: value, sentAt: at})
	}
	for _, ex := range w.ascRec.exchanges() {
		add("the App Store Connect JWT", ex.bearer, ex.stdoutAt)
	}
	for _, ex := range w.googleRec.exchanges() {
		add("the Google assertion", ex.assertion, ex.stdoutAt)
		add("the Google access token", ex.bearer, ex.stdoutAt)
	}
	for _, ex := range w.mosRec.exchanges() {
		if ex.method == http.MethodPut {
			s.addUpload(ex.body)
		}
	}
	return tokens
}

// visibleStreams returns what a workflow shows: stdout without the
// ::add-mask:: commands, stderr, the outputs file and the summary file.
func (r isolatedRun) visibleStreams() map[string]string {
	var visible []string
	for _, line := range strings.Split(r.stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			visible = append(visible, line)
		}
	}
	return map[string]string{
		"stdout": strings.Join(visible, "\n"), "stderr": r.stderr,
		"GITHUB_OUTPUT": r.outRaw, "GITHUB_STEP_SUMMARY": r.summary,
	}
}

func assertNoSecretIn(t *testing.T, r isolatedRun, s *secretSet) {
	t.Helper()
	for stream, text := range r.visibleStreams() {
		var hits []string
		for needle, what := range s.needles {
			if i := strings.Index(text, needle); i >= 0 {
				hits = append(hits, fmt.Sprintf("%s (%d chars) in %s", what, len(needle), excerpt(text, i, needle)))
			}
		}
		slices.Sort(hits)
		for i, h := range hits {
			if i == 3 {
				t.Errorf("%s shows %d more secret-derived strings", stream, len(hits)-3)
				break
			}
			t.Errorf("%s shows %s", stream, h)
		}
	}
}

// assertMaskedFirst checks that every line of the key and the token was
// registered with ::add-mask:: before the first line of any other output,
// and every credential the binary made before the request that sent it.
func assertMaskedFirst(t *testing.T, r isolatedRun, s *secretSet, tokens []credential) {
	t.Helper()
	masked := map[string]int{} // value → byte offset of the end of its mask line
	firstOther := int64(len(r.stdout))
	offset := 0
	for _, line := range strings.SplitAfter(r.stdout, "\n") {
		end := offset + len(line)
		if v, ok := strings.CutPrefix(strings.TrimRight(line, "\r\n"), "::add-mask::"); ok {
			v = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(v)
			if _, seen := masked[v]; !seen {
				masked[v] = end
			}
		} else if line != "" && int64(offset) < firstOther {
			firstOther = int64(offset)
		}
		offset = end
	}
	for line, what := range s.required {
		end, ok := masked[line]
		switch {
		case !ok:
			t.Errorf("%s (%.8q…, %d chars) was never registered with ::add-mask::", what, line, len(line))
		case int64(end) > firstOther:
			t.Errorf("%s (%.8q…) was masked only after other output had been printed", what, line)
		}
	}
	for _, tok := range tokens {
		end, ok := masked[tok.value]
		switch {
		case !ok:
			t.Errorf("%s was sent but never registered with ::add-mask::", tok.what)
		case int64(end) > tok.sentAt:
			t.Errorf("%s was masked only after the request that carried it was sent (mask ends at byte %d, request came at byte %d)", tok.what, end, tok.sentAt)
		}
	}
}

// assertNothingOnDisk checks that no file under the run's TMPDIR, HOME and
// workspace, other than the outputs and summary files and the key files
// placed there before the run, holds key material as text or as bytes.
func assertNothingOnDisk(t *testing.T, r isolatedRun, s *secretSet) {
	t.Helper()
	err := filepath.WalkDir(r.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == r.outFile || path == r.summaryFile {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if before, ok := r.before[path]; ok && before == string(b) {
			return nil
		}
		t.Logf("the run left a file %s (%d bytes)", strings.TrimPrefix(path, r.root), len(b))
		for needle, what := range s.needles {
			if bytes.Contains(b, []byte(needle)) {
				t.Errorf("file %s holds %s", strings.TrimPrefix(path, r.root), what)
			}
		}
		for _, der := range s.der {
			if bytes.Contains(b, der) {
				t.Errorf("file %s holds key material as bytes", strings.TrimPrefix(path, r.root))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func excerpt(text string, i int, needle string) string {
	from, to := max(0, i-60), min(len(text), i+len(needle)+20)
	return strings.ReplaceAll(fmt.Sprintf("%q", text[from:to]), needle, "«SECRET»")
}

func isPrintable(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func base64Of(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func wrapAt(s string, n int) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + "\n")
		s = s[n:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func pemBodyOf(p string) string {
	var body []string
	for _, line := range strings.Split(strings.TrimSpace(p), "\n") {
		if !armour.MatchString(line) {
			body = append(body, line)
		}
	}
	return strings.Join(body, "\n") + "\n"
}

// spoil replaces the byte at i with c, as a bad paste or a decoder test would.
func spoil(s string, i int, c byte) string {
	b := []byte(s)
	b[i] = c
	return string(b)
}
