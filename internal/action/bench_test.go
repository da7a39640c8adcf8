package action_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/keysync"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// BenchmarkSync24Apps is the yardstick: one key to 24 apps with
// 100 ms of latency on every mos.portal request, in force mode so every app
// costs a GET and a PUT. Run it with
//
//	go test -run '^$' -bench Sync24Apps -count 10 ./internal/action/
//
// and read the median; asc-requests/op must be 1.
func BenchmarkSync24Apps(b *testing.B) {
	w := setup(b)
	var names []string
	for i := range 24 {
		name := fmt.Sprintf("app-%02d", i)
		names = append(names, name)
		w.portal.AddApp(project, name)
	}
	w.portal.Faults().SetLatency(100 * time.Millisecond)
	in := w.inputs(map[string]string{"mos-apps": strings.Join(names, ","), "mode": "force"})

	b.ResetTimer()
	for b.Loop() {
		before := w.asc.Requests()
		r := w.run(b, in)
		if r.err != nil {
			b.Fatalf("run failed: %v\n%s", r.err, r.stdout)
		}
		if n := w.asc.Requests() - before; n != 1 {
			b.Fatalf("App Store Connect saw %d requests in one run, want exactly 1", n)
		}
		if got := strings.Count(r.outputs["results"], `"status":"uploaded"`); got != 24 {
			b.Fatalf("%d apps uploaded, want 24", got)
		}
	}
	b.ReportMetric(float64(w.asc.Requests())/float64(b.N), "asc-requests/op")
}

// BenchmarkAllApps500 is issue 16's yardstick: mos-apps "*" over 500 apps
// of one project, the App Store Connect key only, 100 ms of latency on
// every mos.portal request, force mode so every app costs a GET and a
// PUT. It reports the wall time against the floor (the listing's pages one
// after the other, then ⌈500 / concurrency⌉ rounds of GET + PUT) and the
// App Store Connect requests, which must be ⌈500 / 200⌉ = 3. Run it, with
// the peak memory of the whole process (the stand-ins included), as
//
//	go test -c -o /tmp/action.test ./internal/action/
//	cd internal/action && /usr/bin/time -v /tmp/action.test -test.run '^$' -test.bench AllApps500 -test.benchtime 3x
func BenchmarkAllApps500(b *testing.B) {
	const (
		n       = 500
		latency = 100 * time.Millisecond
	)
	const fleet = "fleet" // a project of exactly n apps, none of the harness's
	w := setup(b)
	w.portal.AddToken(token, fleet)
	for i := range n {
		app, bundle := fmt.Sprintf("app-%03d", i), fmt.Sprintf("com.acme.app%03d", i)
		w.portal.SetAppRecord(fleet, portalstandin.AppRecord{ID: app, BundleID: bundle})
		w.asc.AddApp(ascstandin.App{ID: fmt.Sprint(1000 + i), BundleID: bundle, Name: app, IssuerID: issuer})
	}
	w.portal.Faults().SetLatency(latency)
	in := w.inputs(map[string]string{"mos-project": fleet, "mos-apps": "*", "mode": "force", "timeout": "2m"})

	pages := (n + portalstandin.DefaultPageSize - 1) / portalstandin.DefaultPageSize
	rounds := (n + keysync.DefaultConcurrency - 1) / keysync.DefaultConcurrency
	floor := time.Duration(pages)*latency + time.Duration(rounds)*2*latency
	wantASC := (n + 199) / 200

	var wall time.Duration
	b.ResetTimer()
	for b.Loop() {
		before := w.asc.Requests()
		start := time.Now()
		r := w.run(b, in)
		wall += time.Since(start)
		if r.err != nil {
			b.Fatalf("run failed: %v\n%s", r.err, r.stdout)
		}
		if got := w.asc.Requests() - before; got != wantASC {
			b.Fatalf("App Store Connect saw %d requests in one run, want %d", got, wantASC)
		}
		if got := strings.Count(r.outputs["results"], `"status":"uploaded"`); got != n {
			b.Fatalf("%d apps uploaded, want %d", got, n)
		}
	}
	perRun := wall / time.Duration(b.N)
	b.ReportMetric(float64(w.asc.Requests())/float64(b.N), "asc-requests/op")
	b.ReportMetric(floor.Seconds(), "floor-s")
	b.ReportMetric(perRun.Seconds()/floor.Seconds(), "x-floor")
}
