package keysync

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// memRemote is an in-memory Remote that records writes and can fail per app.
type memRemote struct {
	mu     sync.Mutex
	stored map[string]Stored
	getErr map[string]error
	// readBackErr fails the GETs of an app after its first.
	readBackErr map[string]error
	putErr      map[string]error
	// putApplies stores the key of an app whose Put then fails anyway.
	putApplies map[string]bool
	answer     *Stored // if set, Put answers this instead of the key sent
	want       Want
	puts       []string
	gets       map[string]int
	active     atomic.Int32
	maxSeen    atomic.Int32
	delay      time.Duration
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
	if m.gets == nil {
		m.gets = map[string]int{}
	}
	m.gets[app]++
	if err := m.getErr[app]; err != nil {
		return nil, err
	}
	if err := m.readBackErr[app]; err != nil && m.gets[app] > 1 {
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
		if m.putApplies[app] {
			m.puts = append(m.puts, app)
			m.stored[app] = Stored{Identity: m.want.Identity}
		}
		return nil, err
	}
	m.puts = append(m.puts, app)
	s := Stored{Identity: m.want.Identity}
	if m.answer != nil {
		s = *m.answer
	}
	m.stored[app] = s
	return &s, nil
}

const (
	issuerA = "57246542-96fe-1a63-e053-0824d011072a"
	issuerB = "0f3c9a2e-5b1d-4e7a-9c8b-2d6f1a3e4b5c"
)

var (
	names  = Names{KeyID: "Key ID", Owner: "Issuer ID", Team: "team", Proof: "see the app: give the app's bundle ID in asc-bundle-ids"}
	newKey = Want{Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new", Owner: issuerA}, Names: names}
	oldKey = Stored{Identity: Identity{KeyID: "OLDKEY1234", Fingerprint: "SHA256:old", Owner: issuerA}}
	cur    = Stored{Identity: newKey.Identity}
	// misfiled is the key of the run under another team's Issuer ID.
	misfiled = Stored{Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new", Owner: issuerB}}

	errLost    = errors.New("mos.portal answered 200 with a body that is not JSON")
	errRefused = errors.New("mos.portal refused the key (422 invalid_key)")
)

func TestRun(t *testing.T) {
	t.Parallel()

	type outcome struct {
		Status    Status
		Replaced  string
		Failed    bool
		Recovered bool // uploaded after reading back a lost answer
	}
	cases := []struct {
		name        string
		mode        Mode
		stored      map[string]Stored
		getErr      map[string]error
		readBackErr map[string]error
		putErr      map[string]error
		putApplies  map[string]bool
		answer      *Stored
		want        map[string]outcome
		wantPuts    []string
		wantGets    map[string]int // GETs per app; nil: one each
	}{
		{
			name:     "sync uploads where the key is missing or old and leaves the rest",
			mode:     ModeSync,
			stored:   map[string]Stored{"b": oldKey, "c": cur},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusUploaded, Replaced: "OLDKEY1234"}, "c": {Status: StatusUnchanged}},
			wantPuts: []string{"a", "b"},
		},
		{
			// Replaced names keys to revoke: never the key in use.
			name:     "same key ID with another fingerprint is replaced, and no other key is named",
			mode:     ModeSync,
			stored:   map[string]Stored{"a": {Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:mangled", Owner: issuerA}}, "b": cur, "c": cur},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusUnchanged}, "c": {Status: StatusUnchanged}},
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
			want:   map[string]outcome{"a": {Status: StatusInSync}, "b": {Status: StatusDrift}, "c": {Status: StatusDrift}},
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
			answer:   &Stored{Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:other", Owner: issuerA}},
			want:     map[string]outcome{"a": {Status: StatusFailed, Failed: true}, "b": {Status: StatusFailed, Failed: true}, "c": {Status: StatusFailed, Failed: true}},
			wantPuts: []string{"a", "b", "c"},
		},
		{
			name:     "an upload answered with another Issuer ID fails",
			mode:     ModeSync,
			answer:   &misfiled,
			want:     map[string]outcome{"a": {Status: StatusFailed, Failed: true}, "b": {Status: StatusFailed, Failed: true}, "c": {Status: StatusFailed, Failed: true}},
			wantPuts: []string{"a", "b", "c"},
		},
		{
			// Only the Issuer ID is corrected: no key was replaced, so none
			// is reported for revoking (it would be the key in use).
			name:     "sync uploads the right key held under a wrong Issuer ID",
			mode:     ModeSync,
			stored:   map[string]Stored{"a": misfiled, "b": cur, "c": {Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new"}}},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusUnchanged}, "c": {Status: StatusUploaded}},
			wantPuts: []string{"a", "c"},
		},
		{
			name:   "an Issuer ID in upper case is the same: no upload on every run",
			mode:   ModeSync,
			stored: map[string]Stored{"a": {Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new", Owner: strings.ToUpper(issuerA)}}, "b": cur, "c": cur},
			want:   map[string]outcome{"a": {Status: StatusUnchanged}, "b": {Status: StatusUnchanged}, "c": {Status: StatusUnchanged}},
		},
		{
			name:   "check: in-sync needs key ID, fingerprint and Issuer ID",
			mode:   ModeCheck,
			stored: map[string]Stored{"a": misfiled, "b": cur, "c": {Identity: Identity{KeyID: "NEWKEY1234", Fingerprint: "SHA256:new"}}},
			want:   map[string]outcome{"a": {Status: StatusDrift}, "b": {Status: StatusInSync}, "c": {Status: StatusDrift}},
		},
		{
			name:       "an upload stored but answered unusably is read back and uploaded",
			mode:       ModeSync,
			stored:     map[string]Stored{"b": oldKey},
			putErr:     map[string]error{"a": Uncertain(errLost), "b": Uncertain(errLost)},
			putApplies: map[string]bool{"a": true, "b": true},
			want: map[string]outcome{"a": {Status: StatusUploaded, Recovered: true}, "b": {Status: StatusUploaded, Replaced: "OLDKEY1234", Recovered: true},
				"c": {Status: StatusUploaded}},
			wantPuts: []string{"a", "b", "c"},
			wantGets: map[string]int{"a": 2, "b": 2, "c": 1},
		},
		{
			name:     "an upload never stored and answered unusably is read back and fails",
			mode:     ModeForce,
			stored:   map[string]Stored{"b": oldKey, "c": misfiled},
			putErr:   map[string]error{"a": Uncertain(errLost), "b": Uncertain(errLost), "c": Uncertain(errLost)},
			want:     map[string]outcome{"a": {Status: StatusFailed, Failed: true}, "b": {Status: StatusFailed, Failed: true}, "c": {Status: StatusFailed, Failed: true}},
			wantGets: map[string]int{"a": 2, "b": 2, "c": 2},
		},
		{
			name:        "a read-back that fails too fails the app",
			mode:        ModeSync,
			putErr:      map[string]error{"a": Uncertain(errLost)},
			putApplies:  map[string]bool{"a": true},
			readBackErr: map[string]error{"a": errors.New("mos.portal answered 503")},
			want:        map[string]outcome{"a": {Status: StatusFailed, Failed: true}, "b": {Status: StatusUploaded}, "c": {Status: StatusUploaded}},
			wantPuts:    []string{"a", "b", "c"},
			wantGets:    map[string]int{"a": 2, "b": 1, "c": 1},
		},
		{
			name:     "a refusal is not read back",
			mode:     ModeSync,
			putErr:   map[string]error{"b": errRefused},
			want:     map[string]outcome{"a": {Status: StatusUploaded}, "b": {Status: StatusFailed, Failed: true}, "c": {Status: StatusUploaded}},
			wantPuts: []string{"a", "c"},
			wantGets: map[string]int{"a": 1, "b": 1, "c": 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			stored := map[string]Stored{}
			for k, v := range tc.stored {
				stored[k] = v
			}
			remote := &memRemote{stored: stored, getErr: tc.getErr, readBackErr: tc.readBackErr, putErr: tc.putErr,
				putApplies: tc.putApplies, answer: tc.answer, want: newKey}
			results := Run(t.Context(), Options{Mode: tc.mode, Apps: []string{"a", "b", "c"}, Want: newKey, Remote: remote})

			got := map[string]outcome{}
			for i, r := range results {
				if want := []string{"a", "b", "c"}[i]; r.App != want {
					t.Errorf("result %d is for app %q, want %q (input order)", i, r.App, want)
				}
				got[r.App] = outcome{Status: r.Status, Replaced: r.Replaced, Failed: r.Err != nil, Recovered: r.Recovered != nil}
				if r.Status == StatusUploaded && (r.After == nil || r.After.Identity != newKey.Identity) {
					t.Errorf("app %s is uploaded with After = %+v, want the key sent", r.App, r.After)
				}
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
			wantGets := tc.wantGets
			if wantGets == nil {
				wantGets = map[string]int{"a": 1, "b": 1, "c": 1}
			}
			if diff := cmp.Diff(wantGets, remote.gets); diff != "" {
				t.Errorf("GETs per app (-want +got):\n%s", diff)
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
