// Package action is the GitHub Actions side of the tool: it reads the inputs,
// masks every secret before anything is printed, runs the store checks and
// the mos.portal sync, and reports through outputs, annotations and the step
// summary. Everything it touches from the process comes in through Deps, so
// tests run it in parallel with their own environment and files.
package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/mos-tools/publisher-keys/internal/ghout"
	"github.com/mos-tools/publisher-keys/internal/version"
)

// Deps is what Run takes from the process.
type Deps struct {
	Getenv func(string) string // the environment (INPUT_*, GITHUB_*)
	Stdout io.Writer           // the job log
	Now    func() time.Time    // the clock (tokens, key ages)
	// Transport, if set, replaces the HTTP transport of every client; tests
	// and the sandbox leave it nil.
	Transport http.RoundTripper
	// RetryWaitMin and RetryWaitMax, if set, bound the backoff between
	// retries (default httpx's 250ms to 5s), so tests retry in milliseconds.
	// A Retry-After from the server is honoured whatever they say.
	RetryWaitMin, RetryWaitMax time.Duration
}

// ErrFailed is returned when the run reported a failure through annotations:
// an invalid key, a failed or drifted app. The details are in the log.
var ErrFailed = errors.New("the key check or the mos.portal sync failed; see the errors above")

// Run is the action: check the keys, sync them, report. It returns ErrFailed
// (or a wrapped cause) when the step must fail.
func Run(ctx context.Context, d Deps) error {
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	if d.Stdout == nil {
		d.Stdout = os.Stdout
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	// go-githubactions only reads the inputs: everything the run prints or
	// writes passes the seam, which nothing said elsewhere can act through.
	gh := githubactions.New(githubactions.WithGetenv(d.Getenv), githubactions.WithWriter(io.Discard))
	r := &run{gh: gh, out: ghout.New(d.Stdout, d.Getenv), deps: d, start: d.Now()}
	return r.do(ctx)
}

// run is the state of one action run.
type run struct {
	gh     *githubactions.Action // inputs only
	out    *ghout.Writer         // the only writer of stdout and the file commands
	deps   Deps
	cfg    *config
	stores []*store
	// records is what mos.portal's app records said, read before the
	// store checks.
	records appRecords
	// validated: the inputs passed validation, so the run went on to the
	// keys and every requested app gets a row in results (see appResults).
	validated bool
	failed    atomic.Bool // an error annotation was written
	// outer is the run's context before its timeout: done only when the
	// run is cancelled. A read-back after the timeout runs on it.
	outer context.Context
	// notes holds the annotations until the end of the run, when each
	// cause is shown once (notes.go).
	notes notes
	start time.Time // for the summary's duration, from Deps.Now
}

func (r *run) do(ctx context.Context) error {
	read, err := r.readConfig(ctx)
	if err != nil {
		return err
	}
	cfg, cfgErr := read.cfg, read.refused
	r.cfg = cfg

	// Parse the keys and mask every line of them, and the token, before the
	// first line of output: nothing printed later can show them.
	r.secret(cfg.mosToken)
	r.stores = []*store{r.appleStore(), r.playStore()}

	r.logf("%s", header(cfg))

	// A step that cannot report must not change anything: find out before
	// the first request rather than after the uploads.
	if err := r.checkReportFiles(); err != nil {
		r.errorf("Cannot write the step's outputs", "%s", err)
		r.flush()
		return ErrFailed
	}

	errs := []error{cfgErr}
	for _, s := range r.stores {
		if s.state == keyRefused {
			errs = append(errs, s.err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		r.annotateAll(err)
	}
	// Broken inputs stop the whole run before any request. A key refused at
	// intake stops only its own store: the other key is still checked and
	// synced (runStore skips a refused store, and the run fails below).
	if cfgErr != nil {
		r.writeReport()
		return ErrFailed
	}
	r.validated = true

	r.outer = ctx
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()

	// The app records come first: their bundle IDs and packages join the
	// store checks, and "*" needs them to know the apps at all.
	if slices.ContainsFunc(r.stores, func(s *store) bool { return s.state == keyNotRun }) {
		// No request at all when every key given was refused at intake.
		r.readApps(ctx)
	}
	for _, s := range r.stores {
		s.sel = r.selectApps(s)
	}

	// The stores are checked and synced side by side and independently: one
	// failing does not stop the other.
	var wg sync.WaitGroup
	for _, s := range r.stores {
		wg.Go(func() { r.runStore(ctx, s) })
	}
	wg.Wait()
	r.sayRecordsErr(ctx)

	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		// The runner stopped the step (a cancelled workflow): not a timeout
		// to raise.
		r.errorf("Cancelled", "the run was cancelled before it finished; the results output says what each app got")
	case ctx.Err() != nil && slices.ContainsFunc(r.stores, (*store).failed):
		// A deadline that ran out while everything still got done (an
		// upload read back after it) cost nothing: no "Timed out" then.
		r.errorf("Timed out", "the run did not finish within timeout %s; raise the timeout input if the services are slow, or retry later", cfg.timeout)
	}
	r.writeReport()
	for _, s := range r.stores {
		if s.failed() {
			return ErrFailed
		}
	}
	if r.failed.Load() {
		return ErrFailed
	}
	return nil
}

// configRead is what reading the inputs gave: the config, and every
// problem found with the inputs (refused, nil when all passed).
type configRead struct {
	cfg     *config
	refused error
}

// readConfig reads the inputs under the run's context, so a signal ends the
// run even while a key file is being read. Its error is only that: the run
// was cancelled before the inputs were read.
func (r *run) readConfig(ctx context.Context) (configRead, error) {
	done := make(chan configRead, 1)
	go func() {
		cfg, err := readConfig(r.gh.GetInput, r.deps.Getenv("GITHUB_WORKSPACE"))
		done <- configRead{cfg, err}
	}()
	select {
	case got := <-done:
		return got, nil
	case <-ctx.Done():
	}
	// Cancelled: inputs read in time still get their report (every app
	// listed as failed); a read that hangs is abandoned, so the process ends
	// well within the runner's grace period after SIGTERM.
	t := time.NewTimer(inputGrace)
	defer t.Stop()
	select {
	case got := <-done:
		return got, nil
	case <-t.C:
		return configRead{}, fmt.Errorf("cancelled while reading the inputs: %w", context.Cause(ctx))
	}
}

// inputGrace is how long a cancelled run still waits for its inputs.
const inputGrace = time.Second

// checkReportFiles makes sure the output and summary files the runner named
// can be written. In a Docker action they cannot when the image sets a
// non-root USER: the runner creates them as root.
func (r *run) checkReportFiles() error {
	for _, name := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		path := r.deps.Getenv(name)
		if path == "" {
			continue
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return reportFileError(name, path, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("cannot write %s (%s): %w", name, path, err)
		}
	}
	return nil
}

// reportFileError explains why the runner's file name cannot be opened.
// Only a permission error is the image's USER; a missing folder is a runner
// (or a hand-made environment) that did not provide the file.
func reportFileError(name, path string, err error) error {
	cause := errors.Unwrap(err) // the *PathError repeats the path
	if cause == nil {
		cause = err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s (%s) is missing: the folder it names does not exist (%w); nothing was checked or uploaded. "+
			"The runner creates this file for every step: run the action as a workflow step, or point %s at a file in an existing folder", name, path, cause, name)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("cannot write %s (%s): %w; nothing was checked or uploaded. "+
			"A Docker action must run as the image's default root user, so the image must not set USER", name, path, cause)
	}
	return fmt.Errorf("cannot write %s (%s): %w; nothing was checked or uploaded", name, path, cause)
}

// mask registers every non-empty line of s with the runner's masking and
// the seam's redaction, whole.
func (r *run) mask(secrets ...string) { r.out.Mask(secrets...) }

// secret registers secret material (a token, a key's base64): masked whole
// and every run of ghout.MinRun of its characters redacted wherever it shows.
func (r *run) secret(secrets ...string) { r.out.Secret(secrets...) }

// base64Run is a line that is secret material through and through: a line
// of a key's base64. Other lines of a key (a one-line JSON key holding
// client_email and private_key_id, which are outputs) are masked whole only.
var base64Run = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{16,}$`)

// maskKey registers the secret lines of a key: its base64 as material, the
// rest whole.
func (r *run) maskKey(lines []string) {
	for _, l := range lines {
		if base64Run.MatchString(strings.TrimSpace(l)) {
			r.secret(l)
		} else {
			r.mask(l)
		}
	}
}

// annotateAll turns each error (a join of many) into its own annotation.
func (r *run) annotateAll(err error) {
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range joined.Unwrap() {
			r.annotateAll(e)
		}
		return
	}
	r.annotate(err, "", "")
}

// annotate reports err as an error annotation with the title of the typed
// error it carries; app and platform, if given, name the app it concerns.
func (r *run) annotate(err error, app, platform string) {
	title, msg := Explain(err)
	r.failed.Store(true)
	r.add(note{level: levelError, title: title, msg: msg, app: app, platform: platform})
}

// errorf, warningf and noticef raise an annotation about the run; appErrorf
// one about an app. All of them reach the log through flush, grouped by
// cause.
func (r *run) errorf(title, format string, args ...any) {
	r.failed.Store(true)
	r.add(note{level: levelError, title: title, msg: fmt.Sprintf(format, args...)})
}

func (r *run) appErrorf(app, platform, title, format string, args ...any) {
	r.failed.Store(true)
	r.add(note{level: levelError, title: title, msg: fmt.Sprintf(format, args...), app: app, platform: platform})
}

func (r *run) warningf(title, format string, args ...any) {
	r.add(note{level: levelWarning, title: title, msg: fmt.Sprintf(format, args...)})
}

func (r *run) noticef(title, format string, args ...any) {
	r.add(note{level: levelNotice, title: title, msg: fmt.Sprintf(format, args...)})
}

// emit hands one annotation to the seam, which escapes and writes it: the
// only place the run's annotations leave it.
func (r *run) emit(level ghout.Level, title, msg string) {
	r.out.Annotate(level, title, msg)
}

func (r *run) logf(format string, args ...any) {
	r.out.Logf(format, args...)
}

// header is the run's first line: the version and the mode and timeout in
// effect. A mode or timeout the inputs refused is left out rather than shown
// as an empty mode or "timeout 0s"; its error annotation follows.
func header(cfg *config) string {
	parts := []string{"mos publisher-keys " + version.Version()}
	if cfg.mode != "" {
		parts = append(parts, "mode "+string(cfg.mode))
	}
	if cfg.timeout > 0 {
		parts = append(parts, "timeout "+cfg.timeout.String())
	}
	return strings.Join(parts, " · ")
}
