package action

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/portal"
	"github.com/mos-tools/publisher-keys/internal/version"
)

// store is the part of a run that concerns one store's key: App Store
// Connect (platform ios) or Google Play (platform android). Both go through
// the same steps: intake, the store's own check, the sync with mos.portal.
type store struct {
	platform string // "ios" or "android", as in the results output
	name     string // "App Store Connect" or "Google Play"

	// state is where the key got to; err says why it was refused or
	// failed its check, note what a check that passed found (for the log
	// and summary).
	state keyState
	err   error
	note  string
	// cut is the run's context error when the check failed after the run's
	// time ran out or it was cancelled: the key was not disproven.
	cut error

	want    keysync.Want
	proven  bool        // the check proves the key serves the apps (keysync.Options.Proven)
	facts   [][2]string // label and value rows for the summary (no secrets)
	results []keysync.Result
	ageDays int // age of the key in use, from mos.portal; -1 when unknown
	// created and expires are the key's own lifetime where the store
	// publishes it (Google Play); zero when unknown, expires also when never.
	created, expires time.Time

	// revokeHint says where to retire a key this run replaced.
	revokeHint string
	// check runs the store's own check. recordIDs are the bundle IDs or
	// packages of the apps' mos.portal records: one the key cannot see is
	// in unseen (with the store's answer, if more than "not found") and
	// fails only its apps, not the key.
	check func(ctx context.Context, recordIDs []string) (note string, unseen map[string]storeAnswer, err error)

	// sel is what the key is for: its apps and their records' store IDs.
	sel keysync.Selection
	// idNoun, keyName and whose name the key's side in an app's
	// unseenError: "bundle ID", "key ABCDE12345", "Issuer ID …".
	idNoun, keyName, whose string
	// upload is the checked key as mos.portal stores it.
	upload portal.Upload
}

// keyState is where a store's key got to in the run.
type keyState int

const (
	keyNotGiven    keyState = iota // no key was given for this store
	keyRefused                     // the key or its IDs were refused before any request (err)
	keyNotRun                      // accepted, not checked yet (at the end: other inputs were refused)
	keyCheckFailed                 // the store's check failed (err, and cut if the run's time ran out)
	keyValid                       // the key passed every check (note)
)

// newStore is a store before its intake: its key given (and not yet
// checked) or not.
func newStore(platform, name string, given bool, revokeHint string) *store {
	s := &store{platform: platform, name: name, ageDays: -1, revokeHint: revokeHint}
	if given {
		s.state = keyNotRun
	}
	return s
}

// given reports whether a key was given for this store.
func (s *store) given() bool { return s.state != keyNotGiven }

// refuse records why the key was refused at intake; a nil err leaves the
// key accepted.
func (s *store) refuse(err error) {
	if err != nil {
		s.state, s.err = keyRefused, err
	}
}

// failed reports whether the store fails the step: a key given that did
// not pass, or an app it left failed or drifting.
func (s *store) failed() bool {
	switch s.state {
	case keyNotGiven:
		return false
	case keyValid:
		return slices.ContainsFunc(s.results, func(res keysync.Result) bool {
			return res.Status == keysync.StatusFailed || res.Status == keysync.StatusDrift
		})
	}
	return true
}

// run checks the key with its store and, if it passed, syncs it.
func (r *run) runStore(ctx context.Context, s *store) {
	if s.state != keyNotRun || s.check == nil {
		return
	}
	note, unseen, err := s.check(ctx, s.sel.StoreIDs)
	if err != nil {
		s.state, s.err, s.cut = keyCheckFailed, err, ctx.Err()
		// One annotation per error: Play joins one error per package.
		r.annotateAll(err)
		r.logf("%s: the key failed the check, so no mos.portal app was touched", s.name)
		return
	}
	s.state, s.note = keyValid, note
	r.logf("%s: %s", s.name, note)

	if !r.cfg.hasMos() {
		return
	}
	if err := r.records.err; err != nil {
		// Every app fails for that one cause, before any write; the report
		// groups the apps' annotations into one.
		for _, app := range s.sel.Apps {
			s.results = append(s.results, keysync.Result{App: app, Status: keysync.StatusFailed, Err: err})
			if ctx.Err() == nil {
				r.records.said.Store(true)
				r.annotate(err, app, s.platform)
			}
		}
		r.logf("%s: the app records could not be read, so no mos.portal app was touched", s.name)
		return
	}

	if len(s.sel.Without) > 0 {
		r.logf("%s: mos.portal's records name no %s for %s %s, so %s not checked against the key",
			s.name, s.idNoun, plural(len(s.sel.Without), "app", "apps"), strings.Join(s.sel.Without, ", "), plural(len(s.sel.Without), "it is", "they are"))
	}

	// An app whose record names a bundle ID or package the key cannot see
	// is left out before any write; one it can see is proven to be served
	// by the key (the team guard's proof for that app).
	held := map[string]keysync.Result{}
	proven := map[string]bool{}
	var apps []string
	for _, app := range s.sel.Apps {
		id := s.sel.StoreID[app]
		if answer, ok := unseen[id]; ok && id != "" {
			held[app] = r.unseenRow(s, app, id, answer)
			continue
		}
		if id != "" {
			proven[app] = true
		}
		apps = append(apps, app)
	}
	if r.cfg.allApps && len(held) > 0 && len(apps) == 0 {
		// Every app skipped looks like success: say it, as an Apple
		// agreement not accepted hides every app of the team from the API.
		r.warningf("No app of the project visible to the "+s.name+" key",
			"the %s %s can see none of the %d apps of project %s built for its store, so every one was skipped; "+
				"check that this is the right key for the project, and for App Store Connect that the team's Account Holder has accepted Apple's updated agreements (https://appstoreconnect.apple.com/business)",
			s.name, s.keyName, len(held), r.cfg.mosProject)
	}
	synced := keysync.Run(ctx, keysync.Options{
		Mode:       r.cfg.mode,
		Apps:       apps,
		Want:       s.want,
		Remote:     portalRemote{client: r.portalClient(), project: r.cfg.mosProject, platform: s.platform, upload: s.upload},
		Proven:     s.proven,
		ProvenApps: proven,
		Outer:      r.outer,
	})
	for _, app := range s.sel.Apps {
		if res, ok := held[app]; ok {
			s.results = append(s.results, res)
			continue
		}
		s.results, synced = append(s.results, synced[0]), synced[1:]
	}
	r.reportApps(s)
}

// storeAnswer is why a store check did not pass a bundle ID or package of
// the apps' records.
type storeAnswer struct {
	hidden bool  // the store says the key cannot see it
	err    error // what the store answered, if it says more; the cause when !hidden
}

// unseenRow is the result of an app whose record's bundle ID or package
// did not pass the store check: nothing is written to it. Under "*" an app
// the key cannot see is another team's, and skipped.
func (r *run) unseenRow(s *store, app, id string, answer storeAnswer) keysync.Result {
	if !answer.hidden {
		return keysync.Result{App: app, Status: keysync.StatusFailed,
			Err: fmt.Errorf("app %s is %s %s in mos.portal, which could not be checked with %s, so nothing was written to it. %w", app, s.idNoun, id, s.name, answer.err)}
	}
	e := &unseenError{App: app, Noun: s.idNoun, StoreID: id, Key: s.keyName, Whose: s.whose, Store: s.name}
	if r.cfg.allApps {
		e.Skipped = true
		return keysync.Result{App: app, Status: keysync.StatusSkipped, Err: e}
	}
	e.Err = answer.err
	return keysync.Result{App: app, Status: keysync.StatusFailed, Err: e}
}

// portalClient is a client of mos.portal for one store's sync.
func (r *run) portalClient() *portal.Client {
	return &portal.Client{BaseURL: r.cfg.mosURL, Token: r.cfg.mosToken, HTTP: r.httpClient("mos.portal")}
}

// reportApps logs and annotates the per-app outcome of a sync.
func (r *run) reportApps(s *store) {
	now := r.deps.Now()
	s.ageDays = -1
	for _, res := range s.results {
		line := fmt.Sprintf("%s app %s: %s", s.name, res.App, res.Status)
		switch res.Status {
		case keysync.StatusSkipped:
			// Another team's app: no annotation, the line says whose.
			line += " (" + explainText(res.Err) + ")"
		case keysync.StatusFailed:
			r.annotate(res.Err, res.App, s.platform)
		case keysync.StatusDrift:
			r.appErrorf(res.App, s.platform, fmt.Sprintf("%s key drift in mos.portal", s.name), "%s", driftMessage(s, res))
			// What the app holds, not what it "previously" held: nothing
			// was replaced.
			line += ": " + strings.Replace(keysync.DescribeHeld(res.Before, s.want), "holds key ", "holds ", 1)
		}
		if res.Replaced != "" {
			line += " (replaced " + res.Replaced + ")"
		}
		if res.Recovered != nil {
			line += "; the upload's answer was unusable, reading the key back showed it stored"
		}
		r.logf("%s", line)

		// The age of the key each app now uses.
		switch {
		case res.Status == keysync.StatusUploaded:
			s.ageDays = max(s.ageDays, 0)
		case res.Before != nil && !res.Before.UploadedAt.IsZero() && (res.Status == keysync.StatusUnchanged || res.Status == keysync.StatusInSync):
			s.ageDays = max(s.ageDays, int(now.Sub(res.Before.UploadedAt)/(24*time.Hour)))
		}
	}
	for _, c := range keyChanges(s) {
		r.noticeChange(s, c)
	}
	r.checkAge(s)
}

// checkAge applies the max-key-age policy to the key in use.
func (r *run) checkAge(s *store) {
	limit := r.cfg.maxKeyAge
	if limit <= 0 || s.ageDays < 0 {
		return
	}
	limitDays := int(limit / (24 * time.Hour))
	if time.Duration(s.ageDays)*24*time.Hour <= limit {
		return
	}
	msg := fmt.Sprintf("the %s key in use was uploaded to mos.portal %d days ago, more than max-key-age (%d days); rotate it: create a new key, update the secret and run this action with mode: sync (see the README's rotation steps)",
		s.name, s.ageDays, limitDays)
	if r.cfg.mode == keysync.ModeCheck {
		r.errorf(s.name+" key is too old", "%s", msg)
		return
	}
	r.warningf(s.name+" key is getting old", "%s", msg)
}

// httpClient is the retrying client for one service, logging retries.
func (r *run) httpClient(service string) *httpx.Client {
	return httpx.New(httpx.Config{
		Service:        service,
		UserAgent:      version.UserAgent(),
		Transport:      r.deps.Transport,
		AttemptTimeout: min(30*time.Second, r.cfg.timeout),
		WaitMin:        r.deps.RetryWaitMin,
		WaitMax:        r.deps.RetryWaitMax,
		Now:            r.deps.Now,
		Log:            func(msg string) { r.logf("%s", msg) },
	})
}

// portalRemote is one platform's key of the apps in mos.portal, as keysync
// sees it.
type portalRemote struct {
	client   *portal.Client
	project  string
	platform string        // portal.PlatformIOS or portal.PlatformAndroid
	upload   portal.Upload // the checked key, as Put sends it
}

func (p portalRemote) Get(ctx context.Context, app string) (*keysync.Stored, error) {
	rec, err := p.client.GetKey(ctx, p.project, app, p.platform)
	if portal.IsKeyNotFound(err) {
		return nil, keysync.ErrNoKey
	}
	if err != nil {
		return nil, err
	}
	return stored(rec), nil
}

func (p portalRemote) Put(ctx context.Context, app string) (*keysync.Stored, error) {
	rec, _, err := p.client.PutKey(ctx, p.project, app, p.upload)
	if portal.OutcomeUnknown(err) {
		return nil, keysync.Uncertain(err) // keysync reads the key back
	}
	if err != nil {
		return nil, err
	}
	return stored(rec), nil
}

func stored(rec *portal.Record) *keysync.Stored {
	return &keysync.Stored{Identity: keysync.Identity{KeyID: rec.KeyID, Fingerprint: rec.Fingerprint, Owner: rec.Owner}, UploadedAt: rec.UploadedAt}
}
