package keysync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

// funcRemote is a Remote whose calls run the test's functions; gets counts
// the GETs, so the second is the read-back.
type funcRemote struct {
	mu   sync.Mutex
	gets int
	get  func(ctx context.Context, n int) (*Stored, error)
	put  func(ctx context.Context) (*Stored, error)
}

func (f *funcRemote) Get(ctx context.Context, _ string) (*Stored, error) {
	f.mu.Lock()
	f.gets++
	n := f.gets
	f.mu.Unlock()
	return f.get(ctx, n)
}

func (f *funcRemote) Put(ctx context.Context, _ string) (*Stored, error) { return f.put(ctx) }

// waitDone blocks until ctx ends, at most a minute (a bound, not a timing).
func waitDone(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Minute):
		return errors.New("the context never ended")
	}
}

// readBackSeen is what the read-back's context looked like when it started.
type readBackSeen struct {
	err         error
	deadline    time.Time
	hasDeadline bool
	started     time.Time
}

func TestReadBackContext(t *testing.T) {
	t.Parallel()

	type want struct {
		status Status
		is     error // the result's error wraps this (nil: no error)
	}
	cases := []struct {
		name string
		// run returns the run's context and the outer one, already set up.
		run func(t *testing.T) (ctx, outer context.Context, cancelOuter context.CancelFunc)
		// put runs as the upload; it returns an error that Run reads back after.
		put func(ctx context.Context, cancelOuter context.CancelFunc) error
		// readBack runs as the read-back, after recording its context.
		readBack func(ctx context.Context, cancelOuter context.CancelFunc) (*Stored, error)
		want     want
		check    func(t *testing.T, seen readBackSeen, runDeadline time.Time)
		// needsOuter: without Outer, a cancellation after the deadline
		// cannot reach the read-back (ctx is done already).
		needsOuter bool
	}{
		{
			name: "the deadline cut the upload short: the read-back gets a budget of its own",
			run:  shortRun,
			put: func(ctx context.Context, _ context.CancelFunc) error {
				return fmt.Errorf("no answer in time: %w", waitDone(ctx))
			},
			readBack: func(context.Context, context.CancelFunc) (*Stored, error) { return &cur, nil },
			want:     want{status: StatusUploaded},
			check: func(t *testing.T, seen readBackSeen, _ time.Time) {
				if seen.err != nil || !seen.hasDeadline {
					t.Fatalf("read-back context: err %v, deadline %v; want a live context with a deadline", seen.err, seen.hasDeadline)
				}
				if left := seen.deadline.Sub(seen.started); left <= 0 || left > ReadBackBudget {
					t.Errorf("the read-back had %s, want at most ReadBackBudget (%s) and more than nothing", left, ReadBackBudget)
				}
			},
		},
		{
			name:     "time left: the read-back runs on the run's own deadline",
			run:      longRun,
			put:      func(context.Context, context.CancelFunc) error { return errLost },
			readBack: func(context.Context, context.CancelFunc) (*Stored, error) { return &oldKey, nil },
			want:     want{status: StatusFailed, is: errLost},
			check: func(t *testing.T, seen readBackSeen, runDeadline time.Time) {
				if !seen.deadline.Equal(runDeadline) {
					t.Errorf("read-back deadline %s, want the run's %s", seen.deadline, runDeadline)
				}
			},
		},
		{
			name: "cancelled after the deadline: the read-back stops too",
			run:  shortRun,
			put: func(ctx context.Context, _ context.CancelFunc) error {
				return fmt.Errorf("no answer in time: %w", waitDone(ctx))
			},
			readBack: func(ctx context.Context, cancelOuter context.CancelFunc) (*Stored, error) {
				cancelOuter() // SIGTERM while reading back
				return nil, waitDone(ctx)
			},
			want:       want{status: StatusFailed, is: context.Canceled},
			needsOuter: true,
		},
		{
			name: "cancelled during the upload: the read-back is cancelled as well",
			run:  longRun,
			put: func(ctx context.Context, cancelOuter context.CancelFunc) error {
				cancelOuter()
				return fmt.Errorf("cancelled: %w", waitDone(ctx))
			},
			readBack: func(ctx context.Context, _ context.CancelFunc) (*Stored, error) { return nil, ctx.Err() },
			want:     want{status: StatusFailed, is: context.Canceled},
			check: func(t *testing.T, seen readBackSeen, _ time.Time) {
				if !errors.Is(seen.err, context.Canceled) {
					t.Errorf("the read-back started with context error %v, want context.Canceled", seen.err)
				}
			},
		},
	}
	for _, tc := range cases {
		for _, withOuter := range []bool{true, false} {
			if tc.needsOuter && !withOuter {
				continue
			}
			t.Run(fmt.Sprintf("%s (Outer set: %v)", tc.name, withOuter), func(t *testing.T) {
				t.Parallel()
				ctx, outer, cancelOuter := tc.run(t)
				runDeadline, _ := ctx.Deadline()
				var seen readBackSeen
				remote := &funcRemote{
					get: func(rctx context.Context, n int) (*Stored, error) {
						if n == 1 {
							return &oldKey, nil
						}
						seen.started = time.Now()
						seen.deadline, seen.hasDeadline = rctx.Deadline()
						seen.err = rctx.Err()
						return tc.readBack(rctx, cancelOuter)
					},
					put: func(pctx context.Context) (*Stored, error) { return nil, Uncertain(tc.put(pctx, cancelOuter)) },
				}
				opts := Options{Mode: ModeSync, Apps: []string{"a"}, Want: newKey, Remote: remote}
				if withOuter {
					opts.Outer = outer
				}
				res := Run(ctx, opts)[0]
				if remote.gets != 2 {
					t.Fatalf("%d GETs, want 2 (the first read and the read-back)", remote.gets)
				}
				if res.Status != tc.want.status {
					t.Errorf("status %s (%v), want %s", res.Status, res.Err, tc.want.status)
				}
				if tc.want.is == nil && res.Err != nil || tc.want.is != nil && !errors.Is(res.Err, tc.want.is) {
					t.Errorf("error %v, want one wrapping %v", res.Err, tc.want.is)
				}
				if tc.check != nil {
					tc.check(t, seen, runDeadline)
				}
			})
		}
	}
}

// shortRun is a run whose deadline passes while its upload waits for it
// (no duration is asserted; the deadline only has to come after Run starts).
func shortRun(t *testing.T) (context.Context, context.Context, context.CancelFunc) {
	return runWithin(t, 300*time.Millisecond)
}

// longRun is a run whose deadline is far away.
func longRun(t *testing.T) (context.Context, context.Context, context.CancelFunc) {
	return runWithin(t, time.Hour)
}

func runWithin(t *testing.T, d time.Duration) (context.Context, context.Context, context.CancelFunc) {
	outer, cancelOuter := context.WithCancel(t.Context())
	t.Cleanup(cancelOuter)
	ctx, cancel := context.WithTimeout(outer, d)
	t.Cleanup(cancel)
	return ctx, outer, cancelOuter
}
