package action

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mos-tools/publisher-keys/internal/appstore"
	"github.com/mos-tools/publisher-keys/internal/asckey"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/keysync"
)

// Input names, exactly as in action.yml.
const (
	inASCKey           = "asc-key"
	inASCKeyFile       = "asc-key-file"
	inASCKeyID         = "asc-key-id"
	inASCIssuerID      = "asc-issuer-id"
	inASCBundleIDs     = "asc-bundle-ids"
	inASCAPIURL        = "asc-api-url"
	inMosURL           = "mos-url"
	inMosToken         = "mos-token"
	inMosProject       = "mos-project"
	inMosApps          = "mos-apps"
	inMode             = "mode"
	inTimeout          = "timeout"
	inMaxKeyAge        = "max-key-age"
	inPlayAccount      = "play-service-account"
	inPlayAccountFile  = "play-service-account-file"
	inPlayPackageNames = "play-package-names"
	inPlayAPIURL       = "play-api-url"
	inPlayCheck        = "play-check"
	inPlayKeyExpiry    = "play-key-expiry-warning"
)

// Defaults applies the same defaults as action.yml when an input is absent,
// so the binary behaves the same outside the runner.
var Defaults = map[string]string{
	inASCAPIURL:     appstore.DefaultBaseURL,
	inMode:          string(keysync.ModeSync),
	inTimeout:       "2m",
	inPlayAPIURL:    "https://androidpublisher.googleapis.com",
	inPlayCheck:     "read",
	inPlayKeyExpiry: "7d",
}

// InputNames lists every input the action reads, in action.yml order.
var InputNames = []string{
	inASCKey, inASCKeyFile, inASCKeyID, inASCIssuerID, inASCBundleIDs, inASCAPIURL,
	inPlayAccount, inPlayAccountFile, inPlayPackageNames, inPlayAPIURL, inPlayCheck,
	inMosURL, inMosToken, inMosProject, inMosApps,
	inMode, inTimeout, inMaxKeyAge, inPlayKeyExpiry,
}

// InputError is an input the action cannot work with.
type InputError struct {
	Input string
	Msg   string
}

func (e *InputError) Title() string { return "Invalid input " + e.Input }
func (e *InputError) Error() string { return "input " + e.Input + ": " + e.Msg }

// config is every input, read and checked before the first request.
type config struct {
	ascKey       string // the .p8 content as received (secret)
	ascKeySource string // "input asc-key" or "file AuthKey_….p8": where it came from, for messages
	ascKeyID     string
	ascIssuerID  string
	bundleIDs    []string
	ascAPIURL    *url.URL

	playKey       string // the JSON as received (secret)
	playKeySource string
	playPackages  []string
	playAPIURL    *url.URL
	playEdit      bool          // play-check: edit
	playExpiry    time.Duration // play-key-expiry-warning; 0: off

	// ascKeyFromFile and playKeyFromFile: the key came from a file, whose
	// content is masked only once it parses as a key.
	ascKeyFromFile, playKeyFromFile bool

	mosURL     *url.URL
	mosToken   string
	mosProject string
	mosApps    []string
	// allApps: mos-apps is "*", every app of the project as mos.portal's
	// app records list them (contract v1.1); mosApps is then empty.
	allApps bool

	mode      keysync.Mode
	timeout   time.Duration
	maxKeyAge time.Duration // 0: no policy
}

func (c *config) hasApple() bool { return c.ascKey != "" || c.ascKeySource != "" }
func (c *config) hasPlay() bool  { return c.playKey != "" || c.playKeySource != "" }
func (c *config) hasMos() bool   { return c.mosURL != nil }

// allAppsEntry is the mos-apps value that names every app of the project.
const allAppsEntry = "*"

// inputs reads the raw inputs; absent and empty are the same.
type inputs func(name string) string

// readConfig reads every input and returns all problems at once, so one run
// tells the user everything to fix. Key contents are read but not parsed here.
func readConfig(in inputs, workspace string) (*config, error) {
	r := &configReader{in: in}
	c := &config{
		ascKeyID:     strings.TrimSpace(in(inASCKeyID)),
		ascIssuerID:  strings.TrimSpace(in(inASCIssuerID)),
		mosToken:     strings.TrimSpace(in(inMosToken)),
		mosProject:   strings.TrimSpace(in(inMosProject)),
		bundleIDs:    splitList(in(inASCBundleIDs)),
		playPackages: splitList(in(inPlayPackageNames)),
		mosApps:      splitList(in(inMosApps)),
	}
	// The order of the steps is the order of the errors in the log.
	r.keys(c, workspace)
	r.appEntries(c)
	r.urls(c)
	r.runPolicy(c)
	r.allApps(c)
	r.playPolicy(c)
	r.mos(c)
	r.keysGiven(c)
	return c, errors.Join(r.errs...)
}

// configReader collects the problems readConfig finds.
type configReader struct {
	in   inputs
	errs []error
}

func (r *configReader) bad(input, format string, args ...any) {
	r.errs = append(r.errs, &InputError{Input: input, Msg: fmt.Sprintf(format, args...)})
}

func (r *configReader) err(err error) {
	if err != nil {
		r.errs = append(r.errs, err)
	}
}

// keys reads the two keys (content or file) and takes the Key ID from an
// AuthKey_<ID>.p8 file name when asc-key-id is not given.
func (r *configReader) keys(c *config, workspace string) {
	var err error
	c.ascKey, c.ascKeySource, err = keyInput(r.in, inASCKey, inASCKeyFile, workspace)
	r.err(err)
	c.ascKeyFromFile = strings.HasPrefix(c.ascKeySource, "file ")
	if id, ok := asckey.KeyIDFromFileName(strings.TrimSpace(r.in(inASCKeyFile))); ok && c.ascKeyFromFile {
		switch {
		case c.ascKeyID == "":
			c.ascKeyID = id
		case c.ascKeyID != id && asckey.CheckKeyID(c.ascKeyID) == nil:
			// A malformed Key ID is reported (unquoted) by its own check.
			r.bad(inASCKeyID, "is %s but the key file is named %s, which is the key %s; use the Key ID of this file or the file of this Key ID",
				c.ascKeyID, strings.TrimPrefix(c.ascKeySource, "file "), id)
		}
	}
	c.playKey, c.playKeySource, err = keyInput(r.in, inPlayAccount, inPlayAccountFile, workspace)
	r.err(err)
	c.playKeyFromFile = strings.HasPrefix(c.playKeySource, "file ")
}

// appEntries refuses mos-apps entries no app identifier can be: they would
// otherwise reach the log and the request paths.
func (r *configReader) appEntries(c *config) {
	for i, app := range c.mosApps {
		switch {
		case strings.ContainsFunc(app, isLineOrControl):
			r.bad(inMosApps, "entry %d holds a control character or a line separator; give each app identifier as it appears in mos.portal", i+1)
		case utf8.RuneCountInString(app) > maxAppID:
			r.bad(inMosApps, "entry %d is %d characters long, more than the %d an app identifier may have", i+1, utf8.RuneCountInString(app), maxAppID)
		}
	}
}

// urls reads the App Store Connect and Google Play API URLs.
func (r *configReader) urls(c *config) {
	var err error
	c.ascAPIURL, err = httpx.ParseBaseURL(inASCAPIURL, valueOr(r.in, inASCAPIURL))
	r.err(err)
	c.playAPIURL, err = httpx.ParseBaseURL(inPlayAPIURL, valueOr(r.in, inPlayAPIURL))
	r.err(err)
}

// runPolicy reads mode, timeout and max-key-age.
func (r *configReader) runPolicy(c *config) {
	switch m := keysync.Mode(strings.ToLower(strings.TrimSpace(valueOr(r.in, inMode)))); m {
	case keysync.ModeSync, keysync.ModeCheck, keysync.ModeForce:
		c.mode = m
	default:
		r.bad(inMode, "is %q; use sync (upload when changed), check (read only) or force (upload always)", r.in(inMode))
	}
	var err error
	if c.timeout, err = time.ParseDuration(strings.TrimSpace(valueOr(r.in, inTimeout))); err != nil || c.timeout <= 0 {
		r.bad(inTimeout, "is %q; give a positive duration such as 90s, 2m or 5m", r.in(inTimeout))
	}
	if raw := strings.TrimSpace(r.in(inMaxKeyAge)); raw != "" {
		if c.maxKeyAge, err = parseAge(raw); err != nil {
			r.bad(inMaxKeyAge, "is %q; give a number of days such as 90d (or a duration such as 2160h)", raw)
		}
	}
}

// allApps turns mos-apps "*" into every app of the project.
func (r *configReader) allApps(c *config) {
	if !slices.Contains(c.mosApps, allAppsEntry) {
		return
	}
	if len(c.mosApps) > 1 {
		r.bad(inMosApps, "mixes %q (every app of the project) with app names; give either %q alone or the names of the apps", allAppsEntry, allAppsEntry)
	}
	c.allApps, c.mosApps = true, nil
}

// playPolicy reads play-check and play-key-expiry-warning.
func (r *configReader) playPolicy(c *config) {
	switch v := strings.ToLower(strings.TrimSpace(valueOr(r.in, inPlayCheck))); v {
	case "read", "edit":
		c.playEdit = v == "edit"
	default:
		r.bad(inPlayCheck, "is %q; use read (the default: lists each app's production track and opens nothing) or edit (opens and deletes an edit, which can break a release that mos.publisher is uploading)", r.in(inPlayCheck))
	}
	if raw := strings.TrimSpace(valueOr(r.in, inPlayKeyExpiry)); !strings.EqualFold(raw, "off") {
		var err error
		if c.playExpiry, err = parseAge(raw); err != nil {
			r.bad(inPlayKeyExpiry, "is %q; give a number of days such as 7d (or a duration such as 72h), or off", raw)
		}
	}
}

// mos reads the mos.portal inputs: all four or, in check mode, none.
func (r *configReader) mos(c *config) {
	mosURL := strings.TrimSpace(r.in(inMosURL))
	given := map[string]bool{inMosURL: mosURL != "", inMosToken: c.mosToken != "", inMosProject: c.mosProject != "", inMosApps: len(c.mosApps) > 0 || c.allApps}
	var missing []string
	for _, name := range []string{inMosURL, inMosToken, inMosProject, inMosApps} {
		if !given[name] {
			missing = append(missing, name)
		}
	}
	switch {
	case len(missing) == 0:
		var err error
		c.mosURL, err = httpx.ParseBaseURL(inMosURL, mosURL)
		r.err(err)
	case len(missing) == 4 && c.mode == keysync.ModeCheck:
		// Check mode without mos.portal: only the store checks run.
	case len(missing) == 4:
		r.bad(inMosURL, "mode %s uploads to mos.portal and needs mos-url, mos-token, mos-project and mos-apps; set them, or use mode: check to only check the key", c.mode)
	default:
		hint := ""
		if slices.Contains(missing, inMosToken) {
			hint = " (a secret such as ${{ secrets.MOS_TOKEN }} is empty in workflows run from forks or by Dependabot)"
		}
		r.bad(missing[0], "is missing: mos-url, mos-token, mos-project and mos-apps go together, and %s %s not set%s",
			strings.Join(missing, ", "), plural(len(missing), "is", "are"), hint)
	}
}

// keysGiven says when a key's secret is empty although its other inputs are
// set, or no key was given at all: the usual sign of a misnamed secret.
func (r *configReader) keysGiven(c *config) {
	const noSecrets = "(GitHub passes no secrets to workflows run from forks or by Dependabot)"
	if !c.hasApple() && (c.ascKeyID != "" || c.ascIssuerID != "" || len(c.bundleIDs) > 0) && !errorsMention(r.errs, inASCKeyFile, inASCKey) {
		r.bad(inASCKey, "is empty although asc-key-id, asc-issuer-id or asc-bundle-ids are set: the secret holding the .p8 key is probably empty or misnamed "+noSecrets)
	}
	if !c.hasPlay() && len(c.playPackages) > 0 && !errorsMention(r.errs, inPlayAccountFile, inPlayAccount) {
		r.bad(inPlayAccount, "is empty although play-package-names is set: the secret holding the service-account JSON is probably empty or misnamed "+noSecrets)
	}
	if !c.hasApple() && !c.hasPlay() && !errorsMention(r.errs, inASCKey, inASCKeyFile, inPlayAccount, inPlayAccountFile) {
		r.bad(inASCKey, "no key was given: set asc-key (or asc-key-file) for App Store Connect and/or play-service-account (or play-service-account-file) for Google Play. "+
			"If they come from secrets, note that GitHub passes no secrets to workflows run from forks or by Dependabot")
	}
}

// keyInput reads a key given either as content or as a file: exactly one of
// the two. source says where it came from, for messages; it is set even when
// the file cannot be read, so the key counts as given.
func keyInput(in inputs, contentInput, fileInput, workspace string) (content, source string, err error) {
	content, file := in(contentInput), strings.TrimSpace(in(fileInput))
	switch {
	case content != "" && file != "":
		// The content is returned all the same, so that it is masked before
		// the run stops on this error: it is a secret whatever else is wrong.
		return content, "input " + contentInput, &InputError{Input: contentInput,
			Msg: fmt.Sprintf("both %s and %s are set; give exactly one of them", contentInput, fileInput)}
	case content != "":
		return content, "input " + contentInput, nil
	case file != "":
		source = "file " + filepath.Base(file)
		content, err := readKeyFile(workspace, file)
		if err != nil {
			return "", source, &InputError{Input: fileInput, Msg: err.Error()}
		}
		return content, source, nil
	}
	return "", "", nil
}

func errorsMention(errs []error, inputs ...string) bool {
	for _, err := range errs {
		var ie *InputError
		if errors.As(err, &ie) && slices.Contains(inputs, ie.Input) {
			return true
		}
	}
	return false
}

func valueOr(in inputs, name string) string {
	if v := strings.TrimSpace(in(name)); v != "" {
		return v
	}
	return Defaults[name]
}

// maxAppID is the longest mos-apps entry accepted.
const maxAppID = 200

func isLineOrControl(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

// splitList splits a list input on newlines and commas, trims spaces, and
// drops empty items and repeats.
func splitList(raw string) []string {
	var out []string
	for _, line := range strings.Split(raw, "\n") {
		for _, item := range strings.Split(line, ",") {
			item = strings.TrimSpace(item)
			if item != "" && !slices.Contains(out, item) {
				out = append(out, item)
			}
		}
	}
	return out
}

// maxKeyFile is the largest key file read; one more byte is read to tell
// a larger file.
const maxKeyFile = 64 << 10

// readKeyFile reads a key file named relative to the workspace (or absolute).
// Its content is a secret: errors name the path only. Only a regular file is
// read: it is opened without blocking (a FIFO cannot hang the open), its kind
// is checked on the open file, and at most maxKeyFile+1 bytes are read, as a
// file under /proc reports size 0 yet holds data and a device never ends.
func readKeyFile(workspace, name string) (string, error) {
	path := name
	if !filepath.IsAbs(path) && workspace != "" {
		path = filepath.Join(workspace, path)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("file %s does not exist (paths are relative to the workspace %s; write the secret to a file in an earlier step, or use the content input instead)", name, workspace)
	case err != nil:
		return "", fmt.Errorf("cannot read file %s: %s", name, errors.Unwrap(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("cannot read file %s: %s", name, errors.Unwrap(err))
	}
	if kind := fileKind(info.Mode()); kind != "" {
		return "", fmt.Errorf("%s is %s, not a key file", name, kind)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	switch {
	case err != nil:
		return "", fmt.Errorf("cannot read file %s: %s", name, errors.Unwrap(err))
	case len(b) > maxKeyFile:
		return "", fmt.Errorf("file %s is larger than %d KiB, far larger than any key file; check the path", name, maxKeyFile>>10)
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return "", fmt.Errorf("file %s is empty; if it was written from a secret, the secret is empty or not passed to this workflow (forks and Dependabot get none)", name)
	}
	return string(b), nil
}

// fileKind names what a file is when it is not a regular file.
func fileKind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return ""
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}

func parseAge(raw string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		var n int
		if _, err := fmt.Sscanf(days, "%d", &n); err != nil || n <= 0 || fmt.Sprint(n) != days {
			return 0, errors.New("not a number of days")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d <= 0 {
		return 0, errors.New("not a duration")
	}
	return d, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
