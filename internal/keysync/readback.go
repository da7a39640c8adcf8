package keysync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ReadBackBudget is the time the read-back of an upload gets of its own
// when the run's deadline has passed (it is often what cut the upload
// short) or is closer than that. It is how far the read-back may take the
// run past its timeout input. One GET of a key record takes well under a
// second even on a new TLS connection, and a second attempt after the
// client's first backoff (at most 250 ms) still fits; a portal slower than
// that confirms nothing more in 15 s, and a step that overruns the
// timeout its author set by more than a few seconds surprises them.
// (The Play edit clean-up, which runs before the deadline, takes
// min(15 s, half the time left) instead: it shares the time, this one adds
// to it.)
const ReadBackBudget = 3 * time.Second

// Uncertain wraps the error of a Put after which the upload may have been
// applied although its answer was unusable: the connection was cut after
// the request was sent, the body was garbled or cut short, the server
// failed with a 5xx after the retries, or no answer came in time. Run then
// reads the key back to learn what the app holds. A refusal that says
// nothing was written must not be wrapped.
func Uncertain(err error) error {
	if err == nil {
		return nil
	}
	return &uncertain{err: err}
}

type uncertain struct{ err error }

func (u *uncertain) Error() string { return u.err.Error() }
func (u *uncertain) Unwrap() error { return u.err }

// readBack reads the app's key after an upload whose answer putErr was
// unusable: with exactly the key the run brings, the upload took effect.
func readBack(ctx context.Context, opts Options, app string, putErr error) (*Stored, error) {
	rctx, cancel := readBackContext(ctx, opts.Outer)
	defer cancel()
	held, err := opts.Remote.Get(rctx, app)
	switch {
	case errors.Is(err, ErrNoKey):
		return nil, &UnconfirmedError{App: app, Put: putErr, Want: opts.Want}
	case err != nil:
		return nil, &UnconfirmedError{App: app, Put: putErr, Get: err, Want: opts.Want}
	case !held.Matches(opts.Want.Identity):
		return nil, &UnconfirmedError{App: app, Put: putErr, Held: held, Want: opts.Want}
	}
	return held, nil
}

// readBackContext is the context of a read-back: ctx itself while its
// deadline leaves at least ReadBackBudget, else ReadBackBudget from now on
// outer, detached from ctx's deadline but not from a cancellation.
func readBackContext(ctx, outer context.Context) (context.Context, context.CancelFunc) {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ctx, func() {} // cancelled: the read-back fails at once, sending nothing
	}
	least := time.Now().Add(ReadBackBudget)
	if deadline, ok := ctx.Deadline(); ctx.Err() == nil && (!ok || deadline.After(least)) {
		return ctx, func() {}
	}
	if outer == nil {
		outer = context.WithoutCancel(ctx)
	}
	rctx, cancel := context.WithDeadline(outer, least)
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	return rctx, func() { stop(); cancel() }
}

// UnconfirmedError reports an upload whose answer was unusable and whose
// read-back did not show the key sent: the app holds Held (no key when nil
// and Get is nil), or, when the read-back failed too, its state is unknown.
type UnconfirmedError struct {
	App  string
	Put  error   // why the upload's answer was unusable
	Get  error   // why the read-back failed; nil when it answered
	Held *Stored // what the read-back found
	Want Want
}

// Unwrap gives the upload's error first, so its title heads the annotation.
func (e *UnconfirmedError) Unwrap() []error {
	if e.Get == nil {
		return []error{e.Put}
	}
	return []error{e.Put, e.Get}
}

func (e *UnconfirmedError) Error() string {
	put := sentence(e.Put)
	switch {
	case e.Get != nil:
		return fmt.Sprintf("%s Reading the key of app %s back, to learn whether the upload took effect, failed as well: %s "+
			"App %s may hold either its previous key or key %s",
			put, e.App, sentence(e.Get), e.App, e.Want.KeyID)
	case e.Held == nil:
		return fmt.Sprintf("%s Read back afterwards, app %s holds no key: the upload did not take effect", put, e.App)
	}
	return fmt.Sprintf("%s Read back afterwards, app %s holds key %s, not the key sent (%s): the upload did not take effect",
		put, e.App, e.Held.KeyID, Describe(e.Want.Differences(e.Held.Identity)))
}

// sentence is err's message ending with a full stop.
func sentence(err error) string {
	msg := strings.TrimSpace(err.Error())
	if strings.HasSuffix(msg, ".") {
		return msg
	}
	return msg + "."
}
