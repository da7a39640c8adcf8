package action_test

import (
	"fmt"
	"strings"
	"testing"
	"time"
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
		r := run(b, w.workspace, in)
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
