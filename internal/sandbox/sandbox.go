// Package sandbox runs the real action against the loopback stand-ins of App
// Store Connect, Google and mos.portal, with throwaway keys, and shows what a
// workflow would show. It is the README's "run it" command, a smoke test of
// the whole flow (it fails when a scenario does not end as expected), and,
// with -serve, the backend of the container test.
package sandbox

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// Fixed identities of the sandbox world. None of them is real.
const (
	issuerID = "69a6de7f-0c5e-47e3-e053-5b8c7c11a4d1"
	// mistypedIssuerID is issuerID with two characters swapped, as a hand
	// upload gets it wrong.
	mistypedIssuerID = "69a6de7f-0c5e-47e3-e053-5b8c7c11a41d"
	keyID            = "SANDBX2KEY"
	oldKeyID         = "OLDKEY0001"
	otherID          = "ROGUEKEY99"
	mosToken         = "mos_sandbox_token_3c1f0a9e"
	project          = "acme"
	teamAppA         = "com.acme.weather"
	teamAppB         = "com.acme.news"
	playEmail        = "publisher@acme-sandbox.iam.gserviceaccount.com"
	playKeyID        = "5b1c0f3e9a7d4c2b8e6f1a0d3c5b7e9f1a2b3c4d"
	playPkg          = "com.acme.weather"
	// A second team of the same agency, with a key and an app of its own.
	globexIssuerID = "0b1e4c7a-7d2f-4e1a-9b3c-5d6e7f8a9b0c"
	globexKeyID    = "GLOBEXKEY1"
	globexApp      = "com.globex.shop"
	// individualID is an individual API key of the team's Admin: App Store
	// Connect accepts it, but only with an individual key's token.
	individualID = "INDIVKEY42"
)

var apps = []string{"weather", "news", "sports"}

// agencyProject is one mos.portal project holding the apps of both teams,
// with their records (contract v1.1): Acme's two, Globex's one.
const agencyProject = "agency"

var agencyApps = []portalstandin.AppRecord{
	{ID: "acme-weather", Name: "Acme Weather", BundleID: teamAppA},
	{ID: "acme-news", Name: "Acme News", BundleID: teamAppB},
	{ID: "globex-shop", Name: "Globex Shop", BundleID: globexApp},
}

// Main runs the sandbox command with its arguments.
func Main(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	fs.SetOutput(stdout)
	serve := fs.Bool("serve", false, "start the stand-ins, write their addresses and a throwaway key into -dir, and serve until interrupted")
	dir := fs.String("dir", "", "with -serve: the folder to write the connection files into")
	fs.Usage = func() {
		fmt.Fprintf(stdout, "Usage: publisher-keys sandbox [-serve -dir DIR]\n\n"+
			"Without flags, runs the action against loopback stand-ins of App Store Connect, Google and mos.portal,\n"+
			"scenario after scenario, and shows what a workflow would show.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // usage was asked for, and printed
		}
		return err
	}
	w, err := newWorld(time.Now)
	if err != nil {
		return err
	}
	defer w.stop()
	if *serve {
		if *dir == "" {
			return errors.New("sandbox -serve needs -dir")
		}
		return w.serve(ctx, *dir, stdout)
	}
	return w.demo(ctx, stdout)
}

// world is the stand-ins and the keys registered with them.
type world struct {
	now            func() time.Time
	asc            *ascstandin.Server
	portal         *portalstandin.Server
	google         *googlestandin.Server
	ascURL, mosURL string
	// ascAheadURL is an App Store Connect whose clock is 10 minutes ahead of
	// the runner's, as Apple's is for a runner whose clock is behind.
	ascAheadURL      string
	googleURL        string
	key, rogue       *ecdsa.PrivateKey
	keyPEM, roguePEM string
	globexPEM        string // the second team's key
	individualPEM    string
	playJSON         string
	playPub          *rsa.PublicKey
	stops            []func()
}

func newWorld(now func() time.Time) (*world, error) {
	w := &world{now: now}
	var err error
	if w.key, w.keyPEM, err = newP8(); err != nil {
		return nil, err
	}
	if w.rogue, w.roguePEM, err = newP8(); err != nil {
		return nil, err
	}
	individual, individualPEM, err := newP8()
	if err != nil {
		return nil, err
	}
	w.individualPEM = individualPEM

	w.asc = ascstandin.New()
	w.asc.AddKey(ascstandin.Key{KeyID: keyID, IssuerID: issuerID, Public: &w.key.PublicKey, Role: ascstandin.RoleAppManager})
	w.asc.AddKey(ascstandin.Key{KeyID: individualID, IssuerID: issuerID, Public: &individual.PublicKey, Individual: true})
	w.asc.AddApp(ascstandin.App{ID: "1500000001", BundleID: teamAppA, Name: "Acme Weather", IssuerID: issuerID})
	w.asc.AddApp(ascstandin.App{ID: "1500000002", BundleID: teamAppB, Name: "Acme News", IssuerID: issuerID})
	globex, globexPEM, err := newP8()
	if err != nil {
		return nil, err
	}
	w.globexPEM = globexPEM
	w.asc.AddKey(ascstandin.Key{KeyID: globexKeyID, IssuerID: globexIssuerID, Public: &globex.PublicKey, Role: ascstandin.RoleAppManager})
	w.asc.AddApp(ascstandin.App{ID: "1600000001", BundleID: globexApp, Name: "Globex Shop", IssuerID: globexIssuerID})

	w.portal = portalstandin.New()
	w.portal.AddToken(mosToken, project, agencyProject)
	for _, rec := range agencyApps {
		w.portal.SetAppRecord(agencyProject, rec)
	}
	for _, app := range apps {
		w.portal.AddApp(project, app)
	}
	// "news" still holds the key someone uploaded by hand four months ago.
	oldKey, oldPEM, err := newP8()
	if err != nil {
		return nil, err
	}
	oldFP, err := portalstandin.Fingerprint(&oldKey.PublicKey)
	if err != nil {
		return nil, err
	}
	w.portal.SetIOSKey(project, "news", portalstandin.IOSRecord{
		KeyID: oldKeyID, IssuerID: issuerID, Fingerprint: oldFP, PrivateKey: oldPEM, UploadedAt: now().Add(-120 * 24 * time.Hour),
	})

	ahead := ascstandin.New(ascstandin.WithClockOffset(10 * time.Minute))
	ahead.AddKey(ascstandin.Key{KeyID: keyID, IssuerID: issuerID, Public: &w.key.PublicKey, Role: ascstandin.RoleAppManager})

	w.google = googlestandin.New()
	if w.ascURL, err = w.start(w.asc.Start); err != nil {
		return nil, err
	}
	if w.ascAheadURL, err = w.start(ahead.Start); err != nil {
		return nil, err
	}
	if w.mosURL, err = w.start(w.portal.Start); err != nil {
		return nil, err
	}
	if w.googleURL, err = w.start(w.google.Start); err != nil {
		return nil, err
	}
	if w.playJSON, err = w.newServiceAccount(); err != nil {
		return nil, err
	}
	return w, nil
}

func (w *world) start(f func() (string, func(), error)) (string, error) {
	url, stop, err := f()
	if err != nil {
		w.stop()
		return "", fmt.Errorf("failed to start a stand-in: %w", err)
	}
	w.stops = append(w.stops, stop)
	return url, nil
}

func (w *world) stop() {
	for _, stop := range w.stops {
		stop()
	}
	w.stops = nil
}

// newP8 makes a throwaway P-256 key and its .p8 file content, as App Store
// Connect's download gives it.
func newP8() (*ecdsa.PrivateKey, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", fmt.Errorf("failed to generate a key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", fmt.Errorf("failed to encode a key: %w", err)
	}
	return key, string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}

// inputs is a scenario's environment: INPUT_* variables by input name.
type inputs map[string]string

func (w *world) baseInputs() inputs {
	return inputs{
		"asc-key-id":    keyID,
		"asc-issuer-id": issuerID,
		"asc-api-url":   w.ascURL,
		"mos-url":       w.mosURL,
		"mos-token":     mosToken,
		"mos-project":   project,
		"mos-apps":      strings.Join(apps, ", "),
		"timeout":       "30s",
	}
}

// runAction runs the real action with in as its inputs, as a runner would:
// fresh GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, the log as the runner
// shows it. It returns the outputs and the action's error.
func (w *world) runAction(ctx context.Context, stdout io.Writer, in inputs) (map[string]string, string, error) {
	tmp, err := os.MkdirTemp("", "publisher-keys-sandbox-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	env := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(tmp, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(tmp, "summary"),
		"GITHUB_WORKSPACE":    tmp,
	}
	for k, v := range in {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	log := newRunnerLog(stdout)
	runErr := action.Run(ctx, action.Deps{
		Getenv: func(k string) string { return env[k] },
		Stdout: log,
		Now:    w.now,
	})
	outputs, err := action.ReadOutputFile(env["GITHUB_OUTPUT"])
	if err != nil {
		return nil, "", err
	}
	summary, _ := os.ReadFile(env["GITHUB_STEP_SUMMARY"])
	return outputs, string(summary), runErr
}

func base64Wrapped(s string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(s))
	var b strings.Builder
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\n")
		enc = enc[76:]
	}
	b.WriteString(enc)
	return b.String()
}

// serve writes the connection files for the container and act tests and
// serves until ctx ends. Then it writes the file "requests": how many requests
// each stand-in received, one "<stand-in> <count>" line each, so that a test
// can prove that a run which had to stop early reached none of them.
func (w *world) serve(ctx context.Context, dir string, stdout io.Writer) error {
	files := map[string]string{
		"asc-api-url":               w.ascURL,
		"mos-url":                   w.mosURL,
		"play-api-url":              w.googleURL,
		"asc-key.p8":                w.keyPEM,
		"asc-key-id":                keyID,
		"asc-issuer-id":             issuerID,
		"mos-token":                 mosToken,
		"mos-project":               project,
		"mos-apps":                  strings.Join(apps, ","),
		"play-service-account.json": w.playJSON,
		"play-package-names":        playPkg,
		"rogue-key.p8":              w.roguePEM,
		"rogue-key-id":              otherID,
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// A script waits for "ready" and then reads the URLs: the files of an
	// earlier run, with their dead ports, must be gone first.
	for _, name := range append(slices.Collect(maps.Keys(files)), "ready", "requests") {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("failed to clear %s: %w", name, err)
		}
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			return err
		}
	}
	// Last, once every other file is complete; gone again at exit.
	ready := filepath.Join(dir, "ready")
	if err := os.WriteFile(ready, nil, 0o600); err != nil {
		return err
	}
	defer os.Remove(ready)
	fmt.Fprintf(stdout, "stand-ins ready: App Store Connect %s, mos.portal %s, Google %s; files in %s\n", w.ascURL, w.mosURL, w.googleURL, dir)
	<-ctx.Done()
	if err := os.WriteFile(filepath.Join(dir, "requests"), []byte(w.requests()), 0o600); err != nil {
		return fmt.Errorf("failed to write the request counts: %w", err)
	}
	return nil
}

// requests reports how many requests reached each stand-in, faulted or not.
func (w *world) requests() string {
	return fmt.Sprintf("app-store-connect %d\nmos-portal %d\ngoogle %d\n",
		w.asc.Faults().Requests(), w.portal.Faults().Requests(), w.google.Faults().Requests())
}

// newServiceAccount makes a throwaway Google service account key, registers
// it with the Google stand-in and returns its JSON key file, shaped as the
// Cloud console's download (token_uri and client_x509_cert_url point at the
// stand-in: nothing here can reach Google).
func (w *world) newServiceAccount() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", fmt.Errorf("failed to generate a key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("failed to encode a key: %w", err)
	}
	const keyID = playKeyID
	w.playPub = &key.PublicKey
	w.google.AddServiceAccount(playEmail, keyID, &key.PublicKey, "123456789012")
	w.google.AddPackage(playPkg, playEmail)
	doc, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "acme-sandbox",
		"private_key_id":              keyID,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                playEmail,
		"client_id":                   "104958123456789012345",
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   w.googleURL + "/token",
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        googlestandin.CertURL(w.googleURL, playEmail),
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		return "", err
	}
	return string(doc) + "\n", nil
}
