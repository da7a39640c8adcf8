// Package keysync brings one checked key to many mos.portal apps: per app it
// reads what the app holds and, depending on the mode, leaves it, reports
// drift or uploads the key. An app holds the key only when its key ID,
// fingerprint and owner all match (Identity). An app holding another
// owner's key (another team, another service account) is written only when
// the run's key was proven to serve its apps (Options.Proven). An upload
// whose answer was lost is settled by reading the key back. Apps are handled concurrently
// and independently: one app failing never stops or changes another.
package keysync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Mode says what a run may do to mos.portal.
type Mode string

// The modes of the action's `mode` input.
const (
	ModeSync  Mode = "sync"  // upload where the stored key differs
	ModeCheck Mode = "check" // read only; a difference is drift
	ModeForce Mode = "force" // upload everywhere, even when unchanged
)

// Status is the outcome for one app, as reported in the `results` output.
type Status string

// The statuses of the `results` output.
const (
	StatusUploaded  Status = "uploaded"
	StatusUnchanged Status = "unchanged"
	StatusInSync    Status = "in-sync"
	StatusDrift     Status = "drift"
	StatusFailed    Status = "failed"
	// StatusSkipped is an app of the project (all apps were asked for) whose bundle
	// ID or package the key cannot see: another team's app, left alone.
	// Run never returns it; the caller decides which apps it skips.
	StatusSkipped Status = "skipped"
)

// DefaultConcurrency bounds the apps handled at once: enough for an agency's
// fleet to finish in a few round trips, few enough not to hammer mos.portal.
const DefaultConcurrency = 12

// Stored describes the key an app holds in mos.portal.
type Stored struct {
	Identity
	UploadedAt time.Time
}

// ErrNoKey is returned by Remote.Get when the app holds no key yet.
var ErrNoKey = errors.New("the app holds no key")

// Remote reads and writes the key of one platform of an app in mos.portal.
type Remote interface {
	// Get returns the stored key, or ErrNoKey (possibly wrapped).
	Get(ctx context.Context, app string) (*Stored, error)
	// Put uploads the key and returns what mos.portal now holds. When the
	// upload may have been applied although its answer was unusable, the
	// error is wrapped with Uncertain, and Run reads the key back.
	Put(ctx context.Context, app string) (*Stored, error)
}

// Want is the key the run brings, and how its store names its fields.
type Want struct {
	Identity
	Names Names
}

// Differences lists the fields in which held differs from the key the run
// brings; empty when held is that key.
func (w Want) Differences(held Identity) []Difference {
	return w.Names.Differences(held, w.Identity)
}

// Options configures Run.
type Options struct {
	Mode        Mode
	Apps        []string
	Want        Want
	Remote      Remote
	Concurrency int // default DefaultConcurrency
	// Proven says that the store check proved the run's key serves the apps
	// it names (every bundle ID or package the caller was given). Without it, an app holding another owner's key
	// (OtherOwner) is not written: its key is failed with OwnerError.
	Proven bool
	// ProvenApps are apps the store check proved the key serves one by one:
	// it sees the app's own bundle ID or package, as mos.portal's app record
	// names it (contract v1.1). For them Proven is true whatever its value.
	ProvenApps map[string]bool
	// Outer is the context that Run's ctx was given its deadline from: done
	// only when the run is cancelled (SIGTERM). A read-back that must
	// outlive the deadline runs on it, so a cancellation still stops it.
	// Nil: ctx without its deadline, which stops on ctx's own cancellation.
	Outer context.Context
}

// Result is the outcome for one app.
type Result struct {
	App    string
	Status Status
	// Before is what the app held before the run (nil if nothing).
	Before *Stored
	// After is what the app holds after an upload (nil if none was made).
	After *Stored
	// Held is what the app holds after the run, as far as the run knows:
	// nil when it holds no key or that is unknown (a read that failed, an
	// upload whose outcome could not be learned).
	Held *Stored
	// Replaced is the ID of the other key this run's upload replaced: empty
	// unless the app is uploaded, and when the app held nothing or a record
	// under this key's ID, also one with another owner or fingerprint. Such
	// a record is corrected; its ID is the key in use, never one to revoke.
	// A drifting app in check mode replaced nothing: what it holds is Held.
	Replaced string
	Err      error
	// Recovered is the unusable answer of an upload that reading the key
	// back then showed stored: the app is uploaded all the same.
	Recovered error
}

// Run handles every app and returns one result per app, in the order given.
func Run(ctx context.Context, opts Options) []Result {
	limit := opts.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}
	results := make([]Result, len(opts.Apps))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, app := range opts.Apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			notStarted := func() Result {
				return Result{App: app, Status: StatusFailed, Err: &NotStartedError{App: app, Err: ctx.Err()}}
			}
			if ctx.Err() != nil { // select picks at random when both are ready
				results[i] = notStarted()
				return
			}
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
				results[i] = one(ctx, opts, app)
			case <-ctx.Done():
				results[i] = notStarted()
			}
		}()
	}
	wg.Wait()
	return results
}

func one(ctx context.Context, opts Options, app string) Result {
	res := Result{App: app}
	before, err := opts.Remote.Get(ctx, app)
	switch {
	case errors.Is(err, ErrNoKey):
		before = nil
	case err != nil:
		res.Status, res.Err = StatusFailed, err
		return res
	}
	res.Before, res.Held = before, before
	same := before != nil && before.Matches(opts.Want.Identity)
	other := before != nil && OtherOwner(before.Identity, opts.Want.Identity)

	switch {
	case opts.Mode == ModeCheck && same:
		res.Status = StatusInSync
		return res
	case opts.Mode == ModeCheck:
		res.Status = StatusDrift
		if other {
			res.Err = &OwnerError{App: app, Held: before.Identity, Want: opts.Want, Check: true}
		}
		return res
	case opts.Mode == ModeSync && same:
		res.Status = StatusUnchanged
		return res
	case other && !opts.Proven && !opts.ProvenApps[app]:
		// A swapped secret or matrix entry looks just like this: a valid key
		// of another team. Uploading it would break the app's releases.
		res.Status = StatusFailed
		res.Err = &OwnerError{App: app, Held: before.Identity, Want: opts.Want}
		return res
	}

	after, err := opts.Remote.Put(ctx, app)
	var unsure *uncertain
	if errors.As(err, &unsure) {
		// The answer was lost, not the write: what the app holds now says
		// whether the upload took effect.
		res.Recovered = unsure.err
		after, err = readBack(ctx, opts, app, unsure.err)
	}
	if err != nil {
		res.Status, res.Err, res.Recovered = StatusFailed, err, nil
		// A refusal wrote nothing: the app still holds what it held. After
		// an unusable answer, the read-back says what it holds, if anything.
		var unconfirmed *UnconfirmedError
		if errors.As(err, &unconfirmed) {
			res.Held = unconfirmed.Held
		}
		return res
	}
	res.After, res.Held = after, after
	if !after.Matches(opts.Want.Identity) {
		res.Status = StatusFailed
		res.Err = &MismatchError{App: app, Want: opts.Want, Got: *after}
		return res
	}
	res.Status = StatusUploaded
	if before != nil && before.KeyID != opts.Want.KeyID {
		res.Replaced = before.KeyID
	}
	return res
}

// MismatchError reports that mos.portal answered an upload with a key other
// than the one sent: the stored key cannot be trusted.
type MismatchError struct {
	App  string
	Want Want
	Got  Stored
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("mos.portal answered the upload of key %s to app %s with a record that is not the key sent (%s)",
		e.Want.KeyID, e.App, Describe(e.Want.Differences(e.Got.Identity)))
}

// OwnerError reports an app that holds another owner's key (OtherOwner)
// where the run's key was not proven to serve the app, so nothing was
// written; in check mode (Check) it says why the app's drift is more than
// an old key. The owners are shown shortened, as Describe shows them.
type OwnerError struct {
	App   string
	Held  Identity
	Want  Want
	Check bool // found in check mode: nothing would have been written anyway
}

// Error names no app (the annotation does), so apps holding the same key
// of another owner read alike and are reported once.
func (e *OwnerError) Error() string {
	_, wantOwner := shown(e.Held.Owner, e.Want.Owner)
	_, wantKey := shown(e.Held.KeyID, e.Want.KeyID)
	n := e.Want.Names
	if e.Check {
		return fmt.Sprintf("%s, not the checked key %s of %s %s",
			DescribeHeld(&Stored{Identity: e.Held}, e.Want), wantKey, n.Owner, wantOwner)
	}
	return fmt.Sprintf("%s, and this run's key %s belongs to %s %s, so nothing was written",
		DescribeHeld(&Stored{Identity: e.Held}, e.Want), wantKey, n.Owner, wantOwner)
}

// DescribeHeld says in one clause what an app holds in mos.portal, measured
// against the key the run brings: "mos.portal holds no key", "mos.portal
// holds key OLDKEY0001", "mos.portal holds this key under Issuer ID
// 0f3c9a2e…", "mos.portal holds key OLDKEY0001 of another team (Issuer ID
// 0f3c9a2e…)". Values are shortened as Describe shortens them.
func DescribeHeld(held *Stored, want Want) string {
	if held == nil {
		return "mos.portal holds no key"
	}
	n := want.Names
	heldKey, _ := shown(held.KeyID, want.KeyID)
	heldOwner, _ := shown(held.Owner, want.Owner)
	switch {
	case OnlyOwner(held.Identity, want.Identity):
		return fmt.Sprintf("mos.portal holds this key under %s %s", n.Owner, heldOwner)
	case OtherOwner(held.Identity, want.Identity):
		return fmt.Sprintf("mos.portal holds key %s of another %s (%s %s)", heldKey, n.Team, n.Owner, heldOwner)
	case held.KeyID == want.KeyID:
		return fmt.Sprintf("mos.portal holds another key under %s %s", n.KeyID, heldKey)
	}
	return fmt.Sprintf("mos.portal holds key %s", heldKey)
}

// NotStartedError reports an app that was never read nor written because the
// run's time ran out (or the run was cancelled) before its turn came.
type NotStartedError struct {
	App string
	Err error // context.DeadlineExceeded or context.Canceled
}

func (e *NotStartedError) Error() string {
	if errors.Is(e.Err, context.Canceled) {
		return fmt.Sprintf("nothing was read or written for app %s: the run was cancelled before its turn came", e.App)
	}
	return fmt.Sprintf("nothing was read or written for app %s: the run's timeout ran out before its turn came", e.App)
}

func (e *NotStartedError) Unwrap() error { return e.Err }
