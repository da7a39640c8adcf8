package action_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// Issue 5, item 4: many apps at once with mixed outcomes, two runs against
// one portal at the same time, and the two stores of one run side by side.
// Run under -race, these are also the data-race tests of the action.

// wireLog is an HTTP transport that records one run's own requests and the
// most it had in flight at once.
type wireLog struct {
	next http.RoundTripper

	mu             sync.Mutex
	sent           map[string]int // "METHOD /path" → requests
	inflight, peak int
}

func newWireLog(t *testing.T) *wireLog {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &wireLog{next: tr, sent: map[string]int{}}
}

func (l *wireLog) RoundTrip(r *http.Request) (*http.Response, error) {
	l.mu.Lock()
	l.sent[r.Method+" "+r.URL.Path]++
	l.inflight++
	l.peak = max(l.peak, l.inflight)
	l.mu.Unlock()
	resp, err := l.next.RoundTrip(r)
	if err != nil {
		l.done()
		return nil, err
	}
	resp.Body = &doneBody{ReadCloser: resp.Body, done: sync.OnceFunc(l.done)}
	return resp, nil
}

func (l *wireLog) done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.inflight--
}

// puts counts the PUTs this run sent for app's iOS key.
func (l *wireLog) puts(app string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent["PUT "+portalstandin.Path(project, app, portalstandin.IOS)]
}

type doneBody struct {
	io.ReadCloser
	done func()
}

func (b *doneBody) Close() error {
	defer b.done()
	return b.ReadCloser.Close()
}

// newKeyRecord is what mos.portal holds once the harness key was uploaded.
func newKeyRecord(t *testing.T, w *world) portalstandin.IOSRecord {
	t.Helper()
	fp, err := portalstandin.Fingerprint(&w.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return portalstandin.IOSRecord{KeyID: keyID, IssuerID: issuer, Fingerprint: fp, PrivateKey: w.keyPEM, UploadedAt: fixedNow.Add(-10 * 24 * time.Hour)}
}

func TestManyAppsMixedOutcomes(t *testing.T) {
	t.Parallel()
	w := setup(t)
	// Latency keeps requests in flight long enough to fill every slot.
	w.portal.Faults().SetLatency(20 * time.Millisecond)

	type outcome struct {
		status, held, previous, title string
		gets, puts                    int
		after                         string // "same", "new" or "none"
	}
	kinds := map[string]outcome{
		"current":   {status: "unchanged", held: keyID, gets: 1, after: "same"},
		"empty":     {status: "uploaded", held: keyID, gets: 1, puts: 1, after: "new"},
		"old":       {status: "uploaded", held: keyID, previous: oldKeyID, gets: 1, puts: 1, after: "new"},
		"forbidden": {status: "failed", title: "mos.portal token lacks access", gets: 1, after: "same"},
		"unknown":   {status: "failed", title: "mos.portal app not found", gets: 1, after: "none"},
		// A 5xx after the retries may hide a write: the key is read back,
		// and shows the old key still held.
		"putfails": {status: "failed", held: oldKeyID, title: "mos.portal unavailable", gets: 2, puts: 5, after: "same"},
	}
	order := []string{"current", "empty", "old", "forbidden", "unknown", "putfails"}
	const n = 48
	var names, wantTitles, replaced []string
	kindOf := map[string]string{}
	var want []action.Result
	for i := range n {
		kind := order[(i*5)%len(order)] // 5 is prime to 6: the kinds interleave
		name := fmt.Sprintf("%s-%02d", kind, i)
		names = append(names, name)
		kindOf[name] = kind
		path := portalstandin.Path(project, name, portalstandin.IOS)
		switch kind {
		case "current":
			w.portal.SetIOSKey(project, name, newKeyRecord(t, w))
		case "empty":
			w.portal.AddApp(project, name)
		case "old":
			w.preload(t, name, 40)
			replaced = append(replaced, name)
		case "forbidden":
			w.preload(t, name, 40)
			w.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 403, PathPrefix: path,
				Body: `{"error":{"code":"forbidden","message":"token has no access to this app"}}`})
		case "putfails":
			w.preload(t, name, 40)
			w.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 500, Method: "PUT", PathPrefix: path})
		}
		o := kinds[kind]
		want = append(want, action.Result{Platform: "ios", App: name, Status: o.status, HeldKeyID: o.held, PreviousKeyID: o.previous})
		// One annotation per cause, however many apps it concerns.
		if o.title != "" && !slices.Contains(wantTitles, o.title) {
			wantTitles = append(wantTitles, o.title)
		}
	}
	before := snapshotPortal(w.portal, names)

	wire := newWireLog(t)
	r := w.run(t, w.inputs(map[string]string{"mos-apps": strings.Join(names, "\n")}), via(wire))
	if !errors.Is(r.err, action.ErrFailed) {
		t.Fatalf("run error = %v, want ErrFailed", r.err)
	}

	var got []action.Result
	if err := json.Unmarshal([]byte(r.outputs["results"]), &got); err != nil {
		t.Fatalf("results output is not JSON: %v", err)
	}
	for i := range got {
		app, msg := got[i].App, got[i].Error
		// The row names the app; its error says the cause, which a run-wide
		// cause words the same for every app.
		if (got[i].Status == "failed") != (msg != "") {
			t.Errorf("app %s (%s) has error %q; want one exactly when it failed", app, got[i].Status, msg)
		}
		got[i].Error = ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results, in input order (-want +got):\n%s", diff)
	}
	for name, wantOut := range map[string]string{"valid": "true", "uploaded": "true", "asc-previous-key-id": oldKeyID} {
		if r.outputs[name] != wantOut {
			t.Errorf("output %s = %q, want %q", name, r.outputs[name], wantOut)
		}
	}

	var titles []string
	var notices []annotation
	for _, note := range annotationsOf(r.stdout) {
		switch note.level {
		case "error":
			titles = append(titles, note.title)
		case "notice":
			notices = append(notices, note)
		}
	}
	slices.Sort(titles)
	slices.Sort(wantTitles)
	if diff := cmp.Diff(wantTitles, titles); diff != "" {
		t.Errorf("error titles (-want +got):\n%s", diff)
	}
	if len(notices) != 1 || notices[0].title != "Replaced App Store Connect key "+oldKeyID {
		t.Errorf("notices = %+v, want one about the replaced key %s", notices, oldKeyID)
	} else if !strings.Contains(notices[0].msg, strings.Join(replaced, ", ")) {
		t.Errorf("the notice does not list %s in order: %s", strings.Join(replaced, ", "), notices[0].msg)
	}

	after := snapshotPortal(w.portal, names)
	for _, name := range names {
		o := kinds[kindOf[name]]
		if g := w.portal.Requests("GET", project, name, portalstandin.IOS); g != o.gets {
			t.Errorf("app %s: %d GETs, want %d", name, g, o.gets)
		}
		if p := w.portal.Requests("PUT", project, name, portalstandin.IOS); p != o.puts {
			t.Errorf("app %s: %d PUTs, want %d", name, p, o.puts)
		}
		switch o.after {
		case "same":
			if diff := cmp.Diff(before[name], after[name]); diff != "" {
				t.Errorf("app %s changed (-before +after):\n%s", name, diff)
			}
		case "new":
			if problem := iosRecordProblem(after[name].IOS, keyID, &w.key.PublicKey); problem != "" {
				t.Errorf("app %s holds %s", name, problem)
			}
		case "none":
			if after[name].IOS != nil {
				t.Errorf("app %s, unknown to mos.portal, holds a key", name)
			}
		}
	}
	if wire.peak < 2 || wire.peak > keysync.DefaultConcurrency {
		t.Errorf("at most %d requests were in flight at once, want between 2 and %d", wire.peak, keysync.DefaultConcurrency)
	}
	if n := w.asc.Requests(); n != 1 {
		t.Errorf("App Store Connect saw %d requests, want 1", n)
	}
	t.Logf("%d apps: %d requests in flight at most; %d GETs and %d PUTs reached mos.portal",
		n, wire.peak, w.portal.Faults().RequestsTo("GET", "/"), w.portal.Faults().RequestsTo("PUT", "/"))
}

// twoRuns starts two runs of the action at the same instant, as two
// workflows would, and returns what each saw and sent.
func twoRuns(t *testing.T, w *world, inA, inB map[string]string) (ra, rb result, wa, wb *wireLog) {
	t.Helper()
	wa, wb = newWireLog(t), newWireLog(t)
	start := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { <-start; ra = w.run(t, inA, via(wa)) })
	wg.Go(func() { <-start; rb = w.run(t, inB, via(wb)) })
	close(start)
	wg.Wait()
	return ra, rb, wa, wb
}

// checkRunAgrees asserts that a run's outputs agree with its results and
// with the requests it sent: uploaded exactly where it sent a PUT.
func checkRunAgrees(t *testing.T, label string, r result, wire *wireLog, names []string, fingerprint string) map[string]string {
	t.Helper()
	if r.err != nil {
		t.Errorf("%s failed: %v\n%s", label, r.err, visibleLog(r.stdout))
	}
	var res []action.Result
	if err := json.Unmarshal([]byte(r.outputs["results"]), &res); err != nil {
		t.Fatalf("%s: results output is not JSON: %v", label, err)
	}
	status := map[string]string{}
	var order, previous []string
	uploaded := false
	for _, x := range res {
		order = append(order, x.App)
		status[x.App] = x.Status
		puts := wire.puts(x.App)
		switch x.Status {
		case "uploaded":
			uploaded = true
			if puts != 1 {
				t.Errorf("%s reports %s uploaded after %d PUTs, want 1", label, x.App, puts)
			}
			if x.PreviousKeyID != "" && !slices.Contains(previous, x.PreviousKeyID) {
				previous = append(previous, x.PreviousKeyID)
			}
		case "unchanged":
			if puts != 0 || x.PreviousKeyID != "" {
				t.Errorf("%s reports %s unchanged but sent %d PUTs (previous key %q)", label, x.App, puts, x.PreviousKeyID)
			}
		default:
			t.Errorf("%s: app %s is %s (%s), want uploaded or unchanged", label, x.App, x.Status, x.Error)
		}
	}
	if !slices.Equal(order, names) {
		t.Errorf("%s: results are not in input order: %q", label, order)
	}
	wantOut := map[string]string{
		"uploaded":            fmt.Sprint(uploaded),
		"asc-previous-key-id": strings.Join(previous, ","),
		"asc-fingerprint":     fingerprint,
		"valid":               "true",
	}
	for name, want := range wantOut {
		if r.outputs[name] != want {
			t.Errorf("%s: output %s = %q, want %q", label, name, r.outputs[name], want)
		}
	}
	return status
}

func TestTwoRunsAtOnce(t *testing.T) {
	t.Parallel()
	const n = 24
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("app-%02d", i))
	}
	latencies := []time.Duration{0, 2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond}

	t.Run("same key", func(t *testing.T) {
		t.Parallel()
		for round, latency := range latencies {
			w := setup(t)
			w.portal.Faults().SetLatency(latency)
			for i, name := range names {
				if i%3 == 0 {
					w.preload(t, name, 40)
				} else {
					w.portal.AddApp(project, name)
				}
			}
			in := w.inputs(map[string]string{"mos-apps": strings.Join(names, ",")})
			ra, rb, wa, wb := twoRuns(t, w, in, in)
			fp := ra.outputs["asc-fingerprint"]
			a := checkRunAgrees(t, "run A", ra, wa, names, fp)
			b := checkRunAgrees(t, "run B", rb, wb, names, fp)
			for _, name := range names {
				rec, _ := w.portal.IOSKey(project, name)
				if problem := iosRecordProblem(&rec, keyID, &w.key.PublicKey); problem != "" {
					t.Errorf("round %d: app %s holds %s", round, name, problem)
				}
				if a[name] != "uploaded" && b[name] != "uploaded" {
					t.Errorf("round %d: app %s held no copy of the key, yet neither run uploaded it", round, name)
				}
			}
			if got := w.asc.Requests(); got != 2 {
				t.Errorf("round %d: App Store Connect saw %d requests, want one per run", round, got)
			}
		}
	})

	t.Run("rotation racing an old workflow", func(t *testing.T) {
		t.Parallel()
		for round, latency := range latencies {
			w := setup(t)
			w.portal.Faults().SetLatency(latency)
			for i, name := range names {
				switch i % 3 {
				case 0:
					w.preload(t, name, 40)
				case 1:
					w.portal.SetIOSKey(project, name, newKeyRecord(t, w))
				default:
					w.portal.AddApp(project, name)
				}
			}
			inNew := w.inputs(map[string]string{"mos-apps": strings.Join(names, ",")})
			inOld := maps.Clone(inNew)
			inOld["asc-key"], inOld["asc-key-id"] = w.oldPEM, oldKeyID
			newFP, err := portalstandin.Fingerprint(&w.key.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			oldFP, err := portalstandin.Fingerprint(&w.old.PublicKey)
			if err != nil {
				t.Fatal(err)
			}

			rn, ro, wn, wo := twoRuns(t, w, inNew, inOld)
			byNew := checkRunAgrees(t, "the rotation", rn, wn, names, newFP)
			byOld := checkRunAgrees(t, "the old workflow", ro, wo, names, oldFP)
			for _, name := range names {
				rec, ok := w.portal.IOSKey(project, name)
				if !ok {
					t.Errorf("round %d: app %s holds no key", round, name)
					continue
				}
				isNew := iosRecordProblem(&rec, keyID, &w.key.PublicKey) == ""
				isOld := iosRecordProblem(&rec, oldKeyID, &w.old.PublicKey) == ""
				switch {
				case !isNew && !isOld:
					t.Errorf("round %d: app %s holds an inconsistent record: key ID %s, fingerprint %s, PEM: %s",
						round, name, rec.KeyID, rec.Fingerprint, iosRecordProblem(&rec, rec.KeyID, &w.key.PublicKey))
				case byNew[name] != "uploaded" && byOld[name] != "uploaded":
					t.Errorf("round %d: app %s: neither run uploaded, but the two keys differ", round, name)
				case byNew[name] == "uploaded" && byOld[name] != "uploaded" && !isNew:
					t.Errorf("round %d: app %s: only the rotation uploaded, yet the app holds the old key", round, name)
				case byOld[name] == "uploaded" && byNew[name] != "uploaded" && !isOld:
					t.Errorf("round %d: app %s: only the old workflow uploaded, yet the app holds the new key", round, name)
				}
			}
		}
	})
}

func TestStoresAreIndependent(t *testing.T) {
	t.Parallel()
	iosUploaded := map[string]string{"ios/weather": "uploaded", "ios/news": "uploaded", "ios/sports": "uploaded"}
	androidUploaded := map[string]string{"android/weather": "uploaded", "android/news": "uploaded", "android/sports": "uploaded"}
	androidFailed := map[string]string{"android/weather": "failed", "android/news": "failed", "android/sports": "failed"}
	// A key that failed its check touched no app, and results lists each
	// of its apps as failed beside the other store's unchanged rows.
	iosFailed := map[string]string{"ios/weather": "failed", "ios/news": "failed", "ios/sports": "failed"}

	cases := []struct {
		name          string
		prepare       func(fw *faultWorld)
		timeout       string
		wantStatus    map[string]string
		wantTitles    []string
		valid, pValid string
	}{
		{
			name:       "App Store Connect refuses the key, Play is synced",
			prepare:    func(fw *faultWorld) { fw.asc.RevokeKey(keyID) },
			wantStatus: mergeStatuses(iosFailed, androidUploaded), valid: "false", pValid: "true",
			wantTitles: []string{"App Store Connect rejected the key (401 NOT_AUTHORIZED)"},
		},
		{
			name:       "Google refuses the key, Apple is synced",
			prepare:    func(fw *faultWorld) { fw.google.DeleteKey(playEmail, playKeyID) },
			wantStatus: mergeStatuses(iosUploaded, androidFailed), valid: "true", pValid: "false",
			wantTitles: []string{"Play key deleted or rotated"},
		},
		{
			name: "App Store Connect hangs, Play is synced before the deadline",
			prepare: func(fw *faultWorld) {
				fw.asc.Faults().Add(fault.Fault{Kind: fault.Hang})
			},
			timeout:    "500ms",
			wantStatus: mergeStatuses(iosFailed, androidUploaded), valid: "false", pValid: "true",
			wantTitles: []string{"Could not reach App Store Connect", "Timed out"},
		},
		{
			name: "both keys valid, mos.portal refuses the Android uploads",
			prepare: func(fw *faultWorld) {
				for _, app := range apps {
					fw.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 403, Method: "PUT", PathPrefix: portalstandin.Path(project, app, portalstandin.Android),
						Body: `{"error":{"code":"forbidden","message":"token may not upload Android keys"}}`})
				}
			},
			wantStatus: mergeStatuses(iosUploaded, androidFailed), valid: "true", pValid: "true",
			wantTitles: []string{"mos.portal token lacks access"}, // one cause, once
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fw := newFaultWorld(t, portalstandin.Android)
			fw.preload(t, "news", 30)
			fw.preloadOld(t, "news")
			tc.prepare(fw)
			in := fw.inputs(map[string]string{"timeout": tc.timeout})
			if tc.timeout == "" {
				in["timeout"] = "10s"
			}
			maps.Copy(in, fw.playInputs(t, fw.googleURL+"/token"))
			before := snapshotPortal(fw.portal, apps)

			r := fw.run(t, in)
			if !errors.Is(r.err, action.ErrFailed) {
				t.Errorf("run error = %v, want ErrFailed", r.err)
			}
			if diff := cmp.Diff(tc.wantStatus, r.statuses(t)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			if r.outputs["valid"] != tc.valid || r.outputs["play-valid"] != tc.pValid || r.outputs["uploaded"] != "true" {
				t.Errorf("valid=%q play-valid=%q uploaded=%q, want %s, %s and true", r.outputs["valid"], r.outputs["play-valid"], r.outputs["uploaded"], tc.valid, tc.pValid)
			}
			var titles []string
			for _, note := range annotationsOf(r.stdout) {
				if note.level == "error" {
					titles = append(titles, note.title)
				}
			}
			slices.Sort(titles)
			if diff := cmp.Diff(slices.Sorted(slices.Values(tc.wantTitles)), titles); diff != "" {
				t.Errorf("error titles (-want +got):\n%s", diff)
			}

			// Each platform's records changed exactly where its app was
			// uploaded, and only there.
			after := snapshotPortal(fw.portal, apps)
			for _, app := range apps {
				if tc.wantStatus["ios/"+app] == "uploaded" {
					if problem := iosRecordProblem(after[app].IOS, keyID, &fw.key.PublicKey); problem != "" {
						t.Errorf("iOS key of %s: %s", app, problem)
					}
				} else if diff := cmp.Diff(before[app].IOS, after[app].IOS); diff != "" {
					t.Errorf("iOS key of %s changed (-before +after):\n%s", app, diff)
				}
				if tc.wantStatus["android/"+app] == "uploaded" {
					if problem := androidRecordProblem(after[app].Android); problem != "" {
						t.Errorf("Android key of %s: %s", app, problem)
					}
				} else if diff := cmp.Diff(before[app].Android, after[app].Android); diff != "" {
					t.Errorf("Android key of %s changed (-before +after):\n%s", app, diff)
				}
			}
			if t.Failed() {
				t.Logf("log of the run:\n%s", visibleLog(r.stdout))
			}
		})
	}
}

func mergeStatuses(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		maps.Copy(out, m)
	}
	return out
}
