package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/standin/ascstandin"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

// TestBinaryAppRecords is issue 16 through the built binary: mos.portal's
// app records name each app's bundle ID. Project acme holds weather and
// news (the key's team) and radio (another team's app, which the key
// cannot see).
func TestBinaryAppRecords(t *testing.T) {
	t.Parallel()
	const otherBundle = "com.other.radio"
	cases := []struct {
		name      string
		prepare   func(e *e2e)
		in        map[string]string
		wantCode  int
		want      []action.Result
		wantNotes []string // ::error titles, in order
		wantLog   []string
		puts      map[string]int // uploads per app
	}{
		{
			name: `mos-apps "*" with two teams: the other team's app is skipped`,
			in:   map[string]string{"mos-apps": "*"},
			want: []action.Result{
				{Platform: "ios", App: "news", Status: "uploaded", HeldKeyID: "E2EKEY0001"},
				{Platform: "ios", App: "radio", Status: "skipped", Error: "bundle ID com.other.radio is not visible to key E2EKEY0001: another team's app, left as it is"},
				{Platform: "ios", App: "weather", Status: "uploaded", HeldKeyID: "E2EKEY0001"},
			},
			puts: map[string]int{"weather": 1, "news": 1, "radio": 0},
		},
		{
			name:     "a named app whose bundle ID the key cannot see fails alone, before any write",
			in:       map[string]string{"mos-apps": "weather\nradio"},
			wantCode: 1,
			want: []action.Result{
				{Platform: "ios", App: "weather", Status: "uploaded", HeldKeyID: "E2EKEY0001"},
				{Platform: "ios", App: "radio", Status: "failed", Error: "app radio is bundle ID com.other.radio in mos.portal, which App Store Connect key E2EKEY0001 (Issuer ID 5e2e5e2e-0000-4000-8000-000000000001) cannot see, so nothing was written to it."},
			},
			wantNotes: []string{"App not visible to the App Store Connect key"},
			puts:      map[string]int{"weather": 1, "radio": 0},
		},
		{
			name:    "a portal without records: named apps as before, said once",
			prepare: func(e *e2e) { e.portal.SetNoAppRecords(true) },
			want: []action.Result{
				{Platform: "ios", App: "weather", Status: "uploaded", HeldKeyID: "E2EKEY0001"},
				{Platform: "ios", App: "news", Status: "uploaded", HeldKeyID: "E2EKEY0001"},
			},
			wantLog: []string{"mos.portal keeps no app records (contract v1.1): the bundle IDs of the apps are not checked"},
			puts:    map[string]int{"weather": 1, "news": 1},
		},
		{
			name:      `a portal without records and mos-apps "*": the run fails before any write`,
			prepare:   func(e *e2e) { e.portal.SetNoAppRecords(true) },
			in:        map[string]string{"mos-apps": "*"},
			wantCode:  1,
			want:      []action.Result{},
			wantNotes: []string{"mos.portal keeps no app records"},
			puts:      map[string]int{"weather": 0, "news": 0, "radio": 0},
		},
		{
			name:     "the records cannot be read (401): one annotation, every app failed",
			in:       map[string]string{"mos-token": "e2e-wrong-token-00000"},
			wantCode: 1,
			want: []action.Result{
				{Platform: "ios", App: "weather", Status: "failed"},
				{Platform: "ios", App: "news", Status: "failed"},
			},
			wantNotes: []string{"mos.portal rejected the token"},
			puts:      map[string]int{"weather": 0, "news": 0},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setupE2E(t)
			e.asc.AddApp(ascstandin.App{ID: "1", BundleID: "com.acme.weather", Name: "Weather", IssuerID: "5e2e5e2e-0000-4000-8000-000000000001"})
			e.asc.AddApp(ascstandin.App{ID: "2", BundleID: "com.acme.news", Name: "News", IssuerID: "5e2e5e2e-0000-4000-8000-000000000001"})
			e.asc.AddApp(ascstandin.App{ID: "3", BundleID: otherBundle, Name: "Radio", IssuerID: "07e407e4-0000-4000-8000-000000000002"})
			e.portal.SetAppRecord("acme", portalstandin.AppRecord{ID: "weather", BundleID: "com.acme.weather"})
			e.portal.SetAppRecord("acme", portalstandin.AppRecord{ID: "news", BundleID: "com.acme.news"})
			e.portal.SetAppRecord("acme", portalstandin.AppRecord{ID: "radio", BundleID: otherBundle})
			if tc.prepare != nil {
				tc.prepare(e)
			}
			in := e.goodInputs()
			for k, v := range tc.in {
				in[k] = v
			}

			out := runBinary(t, "", nil, in)
			if out.code != tc.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", out.code, tc.wantCode, out.stdout, out.stderr)
			}
			var got []action.Result
			if err := json.Unmarshal([]byte(out.outputs["results"]), &got); err != nil {
				t.Fatalf("results %q: %v", out.outputs["results"], err)
			}
			for i := range got {
				if tc.wantNotes != nil && tc.want[i].Error == "" && got[i].Status == "failed" {
					got[i].Error = "" // the records' reason, checked below
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
			var notes []string
			for _, m := range regexp.MustCompile(`(?m)^::error title=([^:]*)::`).FindAllStringSubmatch(out.stdout, -1) {
				notes = append(notes, m[1])
			}
			if diff := cmp.Diff(tc.wantNotes, notes); diff != "" {
				t.Errorf("error annotations (-want +got):\n%s\n%s", diff, out.stdout)
			}
			for _, line := range tc.wantLog {
				if n := strings.Count(out.stdout, line); n != 1 {
					t.Errorf("the log says %q %d times, want once:\n%s", line, n, out.stdout)
				}
			}
			for app, want := range tc.puts {
				if n := e.portal.Requests("PUT", "acme", app, portalstandin.IOS); n != want {
					t.Errorf("app %s saw %d uploads, want %d", app, n, want)
				}
			}
			if out.outputs["valid"] != "true" {
				t.Errorf("valid=%q, want true: the key works", out.outputs["valid"])
			}
			t.Logf("results: %s", out.outputs["results"])
			for _, line := range strings.Split(out.stdout, "\n") {
				if strings.HasPrefix(line, "::error") {
					t.Logf("annotation: %s", line)
				}
			}
		})
	}
}
