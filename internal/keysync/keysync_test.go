package keysync

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// memRemote is an in-memory Remote that records writes and can fail per app.
type memRemote struct {
	mu      sync.Mutex
	stored  map[string]Stored
	getErr  map[string]error
	putErr  map[string]error
	answer  *Stored // if set, Put answers this instead of the key sent
	want    Want
	puts    []string
	active  atomic.Int32
	maxSeen atomic.Int32
	delay   time.Duration
}

func (m *memRemote) enter() func() {
	n := m.active.Add(1)
	for {
		seen := m.maxSeen.Load()
		if n <= seen || m.maxSeen.CompareAndSwap(seen, n) {
			break
		}
	}
	if m.delay > 0 {
		time.Sleep(m.delay)
	}
	return func() { m.active.Add(-1) }
}

func (m *memRemote) Get(_ context.Context, app string) (*Stored, error) {
	defer m.enter()()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.getErr[app]; err != nil {
		return nil, err
	}
	s, ok := m.stored[app]
	if !ok {
		return nil, fmt.Errorf("get %s: %w", app, ErrNoKey)
	}
	return &s, nil
}

func (m *memRemote) Put(_ context.Context, app string) (*Stored, error) {
	defer m.enter()()
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.putErr[app]; err != nil {
		return nil, err
	}
	m.puts = append(m.puts, app)
	s := Stored{KeyID: m.want.KeyID, Fingerprint: m.want.Fingerprint}
	if m.answer != nil {
		s = *m.answer
	}
	m.stored[app] = s
	return &s, nil
}

var (
	newKey = Want{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new"}
	oldKey = Stored{KeyID: "OLDKEY1234", Fingerprint: "SHA256:old"}
	cur    = Stored{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new"}
)

func TestRun(t *testing.T) {
	t.Parallel()

	type outcome struct {
		Status   Status
		Replaced string
		Failed   bool
	}
	cases := []struct {
		name     string
		mode     Mode
		stored   map[string]Stored
		getErr   map[string]error
		putErr   map[string]error
		answer   *Stored
		want     map[string]outcome
		wantPuts []string
	}{
		{
			name:     "sync uploads where the key is missing or old and leaves the rest",
			mode:     ModeSync,
			stored:   map[string]Stored{"b": oldKey, "c": cur},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusUploaded, Replaced: "OLDKEY1234"}, "c": {Status: StatusUnchanged}},
			wantPuts: []string{"a", "b"},
		},
		{
			name:     "same key ID with another fingerprint is replaced",
			mode:     ModeSync,
			stored:   map[string]Stored{"a": {KeyID: "NEWKEY1234", Fingerprint: "SHA256:mangled"}, "b": cur, "c": cur},
			want:     map[string]outcome{"a": {Status: StatusUploaded, Replaced: "NEWKEY1234"}, "b": {Status: StatusUnchanged}, "c": {Status: StatusUnchanged}},
			wantPuts: []string{"a"},
		},
		{
			name:     "force uploads even when unchanged",
			mode:     ModeForce,
			stored:   map[string]Stored{"a": cur, "b": oldKey},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusUploaded, Replaced: "OLDKEY1234"}, "c": {Status: StatusUploaded}},
			wantPuts: []string{"a", "b", "c"},
		},
		{
			name:   "check never writes",
			mode:   ModeCheck,
			stored: map[string]Stored{"a": cur, "b": oldKey},
			want:   map[string]outcome{"a": {Status: StatusInSync}, "b": {Status: StatusDrift, Replaced: "OLDKEY1234"}, "c": {Status: StatusDrift}},
		},
		{
			name:     "a failed read is never followed by a write, other apps go on",
			mode:     ModeForce,
			getErr:   map[string]error{"b": errors.New("mos.portal answered 500")},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusFailed, Failed: true}, "c": {Status: StatusUploaded}},
			wantPuts: []string{"a", "c"},
		},
		{
			name:     "a failed upload fails only its app",
			mode:     ModeSync,
			putErr:   map[string]error{"c": errors.New("invalid_key")},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusUploaded}, "c": {Status: StatusFailed, Failed: true}},
			wantPuts: []string{"a", "b"},
		},
		{
			name:     "an upload answered with another fingerprint fails",
			mode:     ModeSync,
			answer:   &Stored{KeyID: "NEWKEY1234", Fingerprint: "SHA256:other"},
			want:     map[string]outcome{"a": {Status: StatusFailed, Failed: true}, "b": {Status: StatusFailed, Failed: true}, "c": {Status: StatusFailed, Failed: true}},
			wantPuts: []string{"a", "b", "c"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			stored := map[string]Stored{}
			for k, v := range tc.stored {
				stored[k] = v
			}
			remote := &memRemote{stored: stored, getErr: tc.getErr, putErr: tc.putErr, answer: tc.answer, want: newKey}
			results := Run(t.Context(), Options{Mode: tc.mode, Apps: []string{"a", "b", "c"}, Want: newKey, Remote: remote})

			got := map[string]outcome{}
			for i, r := range results {
				if want := []string{"a", "b", "c"}[i]; r.App != want {
					t.Errorf("result %d is for app %q, want %q (input order)", i, r.App, want)
				}
				got[r.App] = outcome{Status: r.Status, Replaced: r.Replaced, Failed: r.Err != nil}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outcomes (-want +got):\n%s", diff)
			}
			puts := map[string]bool{}
			for _, p := range remote.puts {
				puts[p] = true
			}
			wantPuts := map[string]bool{}
			for _, p := range tc.wantPuts {
				wantPuts[p] = true
			}
			if diff := cmp.Diff(wantPuts, puts); diff != "" {
				t.Errorf("apps written (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunBoundsConcurrency(t *testing.T) {
	t.Parallel()

	apps := make([]string, 40)
	for i := range apps {
		apps[i] = fmt.Sprintf("app-%02d", i)
	}
	remote := &memRemote{stored: map[string]Stored{}, want: newKey, delay: 5 * time.Millisecond}
	results := Run(t.Context(), Options{Mode: ModeSync, Apps: apps, Want: newKey, Remote: remote, Concurrency: 4})
	for _, r := range results {
		if r.Status != StatusUploaded {
			t.Errorf("%s: %s (%v)", r.App, r.Status, r.Err)
		}
	}
	if got := remote.maxSeen.Load(); got > 4 || got < 2 {
		t.Errorf("at most %d apps were in flight at once, want between 2 and the bound 4", got)
	}
}

func TestRunCancelledFailsEveryApp(t *testing.T) {
	t.Parallel()

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	remote := &memRemote{stored: map[string]Stored{}, want: newKey, getErr: map[string]error{}}
	for _, app := range []string{"a", "b"} {
		remote.getErr[app] = context.Canceled
	}
	for _, r := range Run(ctx, Options{Mode: ModeSync, Apps: []string{"a", "b"}, Want: newKey, Remote: remote, Concurrency: 1}) {
		if r.Status != StatusFailed || r.Err == nil {
			t.Errorf("%s: status %s, err %v; want failed", r.App, r.Status, r.Err)
		}
	}
	if len(remote.puts) != 0 {
		t.Errorf("wrote %v after cancellation", remote.puts)
	}
}
