package portal_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/portal"
	"github.com/mos-tools/publisher-keys/internal/standin/fault"
	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

func TestAppsAgainstStandin(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name      string
		records   []portalstandin.AppRecord
		pageSize  int
		want      []portal.App
		wantPages int
	}{
		{name: "the setup's app, without identities", want: []portal.App{{ID: app, Name: app}}, wantPages: 1},
		{
			name: "identities of each platform, escaped IDs",
			records: []portalstandin.AppRecord{
				{ID: "weather", Name: "Weather", BundleID: "com.acme.weather", PackageName: "com.acme.weather"},
				{ID: "team/app one", Name: "Team app", BundleID: "com.acme.one"},
				{ID: "droid", Name: "Droid", PackageName: "com.acme.droid_1"},
			},
			pageSize: 2,
			want: []portal.App{
				{ID: "droid", Name: "Droid", Android: &portal.AndroidIdentity{PackageName: "com.acme.droid_1"}},
				{ID: app, Name: app},
				{ID: "team/app one", Name: "Team app", IOS: &portal.IOSIdentity{BundleID: "com.acme.one"}},
				{ID: "weather", Name: "Weather", IOS: &portal.IOSIdentity{BundleID: "com.acme.weather"},
					Android: &portal.AndroidIdentity{PackageName: "com.acme.weather"}},
			},
			wantPages: 2,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			e := setup(t, "/portal")
			for _, r := range tc.records {
				e.portal.SetAppRecord(project, r)
			}
			e.portal.SetPageSize(tc.pageSize)
			got, err := e.client.ListApps(t.Context(), project)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ListApps (-want +got):\n%s", diff)
			}
			if n := len(e.requests()); n != tc.wantPages {
				t.Errorf("%d requests, want %d pages", n, tc.wantPages)
			}
			for _, want := range tc.want {
				got, err := e.client.GetApp(t.Context(), project, want.ID)
				if err != nil {
					t.Fatalf("GetApp(%q): %v", want.ID, err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("GetApp(%q) (-want +got):\n%s", want.ID, diff)
				}
			}
			for _, r := range e.requests() {
				if r.Method != "GET" || r.Header.Get("Authorization") != "Bearer "+token || r.Header.Get("Accept") != "application/json" {
					t.Errorf("request %s %s: headers %v", r.Method, r.EscapedPath, r.Header)
				}
			}
		})
	}
}

func TestListAppsReadsEveryPage(t *testing.T) {
	t.Parallel()

	e := setup(t, "")
	for i := range 250 {
		e.portal.SetAppRecord(project, portalstandin.AppRecord{ID: fmt.Sprintf("app-%03d", i), Name: "App", BundleID: fmt.Sprintf("com.acme.a%d", i)})
	}
	got, err := e.client.ListApps(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 251 || got[250].ID != app {
		t.Errorf("got %d apps, last %q; want 251 ending with %q", len(got), got[len(got)-1].ID, app)
	}
	if n := len(e.requests()); n != 3 {
		t.Errorf("%d requests, want 3 pages of at most 100", n)
	}
}

func TestAppsErrorsFromStandin(t *testing.T) {
	t.Parallel()

	type call func(c *portal.Client, ctx context.Context) error
	list := func(c *portal.Client, ctx context.Context) error { _, err := c.ListApps(ctx, project); return err }
	get := func(c *portal.Client, ctx context.Context) error { _, err := c.GetApp(ctx, project, app); return err }
	getGhost := func(c *portal.Client, ctx context.Context) error {
		_, err := c.GetApp(ctx, project, "ghost")
		return err
	}

	cases := []struct {
		name      string
		call      call
		prepare   func(e *portalEnv) *portal.Client
		wantIs    error
		wantTitle string
		wantIn    string
	}{
		{name: "list, unknown token", call: list, prepare: func(e *portalEnv) *portal.Client { return withToken(e.env, "nope") },
			wantTitle: "mos.portal rejected the token", wantIn: `mos.portal rejected the token (401 unauthorized`},
		{name: "get, unknown token", call: get, prepare: func(e *portalEnv) *portal.Client { return withToken(e.env, "nope") },
			wantTitle: "mos.portal rejected the token", wantIn: `Check the mos-token secret`},
		{name: "list, token of another project", call: list, prepare: func(e *portalEnv) *portal.Client { return withToken(e.env, otherToken) },
			wantTitle: "mos.portal token lacks access", wantIn: `no access to project "acme" in mos.portal, or the project name is misspelled (403 forbidden`},
		{name: "get, no such app", call: getGhost, wantTitle: "mos.portal app not found", wantIn: `has no app "ghost"`},
		{name: "list, portal without records", call: list, prepare: func(e *portalEnv) *portal.Client { e.portal.SetNoAppRecords(true); return e.client },
			wantIs: portal.ErrNoAppRecords, wantIn: "keeps no app records"},
		{name: "get, portal without records", call: get, prepare: func(e *portalEnv) *portal.Client { e.portal.SetNoAppRecords(true); return e.client },
			wantIs: portal.ErrNoAppRecords},
		{name: "list, unavailable", call: list,
			prepare: func(e *portalEnv) *portal.Client {
				e.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 503})
				return e.client
			},
			wantTitle: "mos.portal unavailable", wantIn: "503 Service Unavailable"},
		{name: "list, html 404 behind a proxy", call: list,
			prepare: func(e *portalEnv) *portal.Client {
				e.portal.Faults().Add(fault.Fault{Kind: fault.Status, Status: 404, Body: "<html>no</html>"})
				return e.client
			},
			wantIs: portal.ErrNoAppRecords},
		{name: "list, redirect", call: list,
			prepare: func(e *portalEnv) *portal.Client {
				e.portal.Faults().Add(fault.Fault{Kind: fault.Redirect})
				return e.client
			},
			wantTitle: "mos.portal redirected the request"},
		{name: "list, answer over 1 MiB", call: list,
			prepare: func(e *portalEnv) *portal.Client {
				e.portal.Faults().Add(fault.Fault{Kind: fault.Huge, Size: 2 << 20})
				return e.client
			},
			wantTitle: "Unexpected answer from mos.portal", wantIn: "larger than 1 MiB"},
		{name: "list, hangs past the deadline", call: func(c *portal.Client, ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
			defer cancel()
			return list(c, ctx)
		},
			prepare: func(e *portalEnv) *portal.Client {
				e.portal.Faults().Add(fault.Fault{Kind: fault.Hang})
				return e.client
			},
			wantIs: context.DeadlineExceeded, wantTitle: "mos.portal did not answer in time", wantIn: "while reading the app records"},
		{name: "list, nothing listens", call: list,
			prepare: func(e *portalEnv) *portal.Client {
				srv := httptest.NewServer(http.NotFoundHandler())
				srv.Close()
				return newClient(e.t, srv.URL, token)
			},
			wantTitle: "Cannot reach mos.portal", wantIn: "could not reach mos.portal at 127.0.0.1:"},
		{name: "get, app ID that is not a segment", call: func(c *portal.Client, ctx context.Context) error {
			_, err := c.GetApp(ctx, project, "..")
			return err
		}, wantTitle: "Invalid mos-apps"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			e := &portalEnv{env: setup(t, ""), t: t}
			c := e.client
			if tc.prepare != nil {
				c = tc.prepare(e)
			}
			err := tc.call(c, t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
			}
			if tc.wantIs == nil && errors.Is(err, portal.ErrNoAppRecords) {
				t.Errorf("error %v is ErrNoAppRecords", err)
			}
			if tc.wantTitle != "" {
				if got := title(err); got != tc.wantTitle {
					t.Errorf("Title = %q, want %q (error %v)", got, tc.wantTitle, err)
				}
			}
			if !strings.Contains(advised(err), tc.wantIn) {
				t.Errorf("error %q does not contain %q", err, tc.wantIn)
			}
			if strings.Contains(err.Error()+advised(err), token) {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

type portalEnv struct {
	*env
	t *testing.T
}

func title(err error) string {
	title, _ := action.Explain(err)
	return title
}

// advised is the message users read for err.
func advised(err error) string {
	_, msg := action.Explain(err)
	return msg
}

// hostile serves pages by cursor ("" is the first page) and counts requests.
func hostile(t *testing.T, pages map[string]string, status int) (*portal.Client, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		body, ok := pages[r.URL.Query().Get("cursor")]
		if !ok {
			body, ok = pages["*"] // any cursor
		}
		if !ok {
			body = `{"apps":[],"next":null}`
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return newClient(t, srv.URL, token), &n
}

func appsJSON(n int, prefix string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"%s%d","name":"App","ios":null,"android":null}`, prefix, i)
	}
	return b.String()
}

const secretish = "Zq9XkLmN3pRsTuVw7YaBcDeF"

func TestListAppsHostileServers(t *testing.T) {
	t.Parallel()

	page := func(apps, next string) string { return `{"apps":[` + apps + `],"next":` + next + `}` }
	one := func(fields string) string { return page(`{"id":"weather","name":"Weather",`+fields+`}`, "null") }

	cases := []struct {
		name     string
		pages    map[string]string
		status   int // 0: 200
		wantIn   string
		wantReqs int32 // 0: not checked
		wantIs   error
	}{
		{name: "page over 100 apps", pages: map[string]string{"": page(appsJSON(101, "a"), "null")}, wantIn: "page 1: the page holds more than 100 apps"},
		{name: "next repeats its own cursor", pages: map[string]string{"": page(appsJSON(1, "a"), `"c1"`), "c1": page(appsJSON(1, "b"), `"c1"`)},
			wantIn: "page 2: next repeats the cursor of an earlier page", wantReqs: 2},
		{name: "cursor cycle", pages: map[string]string{"": page(appsJSON(1, "a"), `"c1"`), "c1": page(appsJSON(1, "b"), `"c2"`), "c2": page(appsJSON(1, "c"), `"c1"`)},
			wantIn: "page 3: next repeats", wantReqs: 3},
		{name: "a constant next", pages: map[string]string{"*": page("", `"more"`), "": page("", `"c0"`)},
			wantIn: "page 3: next repeats", wantReqs: 3},
		{name: "an app listed twice", pages: map[string]string{"": page(appsJSON(2, "a"), `"c1"`), "c1": page(appsJSON(1, "a"), "null")},
			wantIn: "page 2: apps[0].id names an app listed before"},
		{name: "apps missing", pages: map[string]string{"": `{"next":null}`}, wantIn: "the field apps is missing or not an array"},
		{name: "apps null", pages: map[string]string{"": `{"apps":null,"next":null}`}, wantIn: "the field apps is missing or not an array"},
		{name: "apps an object", pages: map[string]string{"": `{"apps":{},"next":null}`}, wantIn: "the field apps is not a"},
		{name: "next missing", pages: map[string]string{"": `{"apps":[]}`}, wantIn: "the field next is missing"},
		{name: "next a number", pages: map[string]string{"": `{"apps":[],"next":2}`}, wantIn: "the field next is neither a string nor null"},
		{name: "next empty", pages: map[string]string{"": `{"apps":[],"next":""}`}, wantIn: "the field next is not a cursor"},
		{name: "next too long", pages: map[string]string{"": `{"apps":[],"next":"` + strings.Repeat("c", 1025) + `"}`}, wantIn: "the field next is not a cursor"},
		{name: "an app that is not an object", pages: map[string]string{"": page(`"weather"`, "null")}, wantIn: "apps[0] is not a JSON object"},
		{name: "id missing", pages: map[string]string{"": page(`{"name":"W","ios":null,"android":null}`, "null")}, wantIn: "apps[0]: the field id is missing"},
		{name: "id all apps", pages: map[string]string{"": page(`{"id":"*","name":"W"}`, "null")}, wantIn: "apps[0]: the field id is not an app identifier"},
		{name: "id with a comma", pages: map[string]string{"": page(`{"id":"a,b","name":"W"}`, "null")}, wantIn: "the field id is not an app identifier"},
		{name: "id dot-dot", pages: map[string]string{"": page(`{"id":"..","name":"W"}`, "null")}, wantIn: "the field id is not an app identifier"},
		{name: "id with a newline", pages: map[string]string{"": page(`{"id":"a\n::warning::x","name":"W"}`, "null")}, wantIn: "the field id is not an app identifier"},
		{name: "id with surrounding space", pages: map[string]string{"": page(`{"id":" a","name":"W"}`, "null")}, wantIn: "the field id is not an app identifier"},
		{name: "id a number", pages: map[string]string{"": page(`{"id":7,"name":"W"}`, "null")}, wantIn: "apps[0]: the field id is not a string"},
		{name: "name missing", pages: map[string]string{"": page(`{"id":"a"}`, "null")}, wantIn: "the field name is missing"},
		{name: "name with a control character", pages: map[string]string{"": page(`{"id":"a","name":"W\u001b[31m"}`, "null")}, wantIn: "the field name is not a display name"},
		{name: "ios without bundleId", pages: map[string]string{"": one(`"ios":{}`)}, wantIn: "the field ios.bundleId is missing"},
		{name: "bundleId with a space", pages: map[string]string{"": one(`"ios":{"bundleId":"com.acme ` + secretish + `"}`)}, wantIn: "the field ios.bundleId is not a bundle ID"},
		{name: "bundleId with a comma", pages: map[string]string{"": one(`"ios":{"bundleId":"com.a,com.b"}`)}, wantIn: "the field ios.bundleId is not a bundle ID"},
		{name: "bundleId too long", pages: map[string]string{"": one(`"ios":{"bundleId":"` + strings.Repeat("a", 256) + `"}`)}, wantIn: "the field ios.bundleId is not a bundle ID"},
		{name: "ios a string", pages: map[string]string{"": one(`"ios":"com.acme.weather"`)}, wantIn: "the field ios is not a"},
		{name: "android without packageName", pages: map[string]string{"": one(`"android":{"package":"com.acme.x"}`)}, wantIn: "the field android.packageName is missing"},
		{name: "packageName of one part", pages: map[string]string{"": one(`"android":{"packageName":"weather` + secretish + `"}`)}, wantIn: "the field android.packageName is not an Android package name"},
		{name: "packageName with a hyphen", pages: map[string]string{"": one(`"android":{"packageName":"com.acme-x.app"}`)}, wantIn: "the field android.packageName is not an Android package name"},
		{name: "packageName part starting with a digit", pages: map[string]string{"": one(`"android":{"packageName":"com.1acme"}`)}, wantIn: "the field android.packageName is not an Android package name"},
		{name: "not JSON", pages: map[string]string{"": `<html>` + secretish + `</html>`}, wantIn: "the body is not a JSON object"},
		{name: "cut short", pages: map[string]string{"": `{"apps":[{"id":"a"`}, wantIn: "the body is not valid JSON"},
		{name: "204", pages: map[string]string{"": ``}, status: 204, wantIn: "the status is not 200"},
		{name: "404 not_found", pages: map[string]string{"": `{"error":{"code":"not_found","message":"no such endpoint"}}`}, status: 404, wantIs: portal.ErrNoAppRecords},
		{name: "404 empty", pages: map[string]string{"": ``}, status: 404, wantIs: portal.ErrNoAppRecords},
		{name: "404 project_not_found", pages: map[string]string{"": `{"error":{"code":"project_not_found","message":"no such project"}}`}, status: 404,
			wantIn: `mos.portal has no project "acme"`},
		{name: "405", pages: map[string]string{"": `{"error":{"code":"method_not_allowed","message":"no"}}`}, status: 405, wantIn: "405 Method Not Allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			status := tc.status
			if status == 0 {
				status = 200
			}
			c, n := hostile(t, tc.pages, status)
			apps, err := c.ListApps(t.Context(), project)
			if err == nil {
				t.Fatalf("no error; apps %+v", apps)
			}
			if tc.wantIs != nil {
				if !errors.Is(err, tc.wantIs) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
				}
			} else {
				var apiErr *portal.APIError
				if !errors.As(err, &apiErr) || errors.Is(err, portal.ErrNoAppRecords) {
					t.Errorf("error %v (%T) is not a contract *APIError", err, err)
				}
			}
			if !strings.Contains(advised(err), tc.wantIn) {
				t.Errorf("error %q does not contain %q", err, tc.wantIn)
			}
			if strings.Contains(err.Error()+advised(err), secretish) || strings.Contains(err.Error()+advised(err), "::warning::") {
				t.Errorf("error %q quotes a value", err)
			}
			if tc.wantReqs != 0 && n.Load() != tc.wantReqs {
				t.Errorf("%d requests, want %d", n.Load(), tc.wantReqs)
			}
		})
	}
}

func TestListAppsStopsAfter100Pages(t *testing.T) {
	t.Parallel()

	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := n.Add(1)
		fmt.Fprintf(w, `{"apps":[{"id":"app-%d","name":"App","ios":null,"android":null}],"next":"c%d"}`, i, i)
	}))
	t.Cleanup(srv.Close)
	_, err := newClient(t, srv.URL, token).ListApps(t.Context(), project)
	if err == nil || !strings.Contains(err.Error(), "the listing goes on past 100 pages") {
		t.Errorf("error = %v, want the 100-page limit", err)
	}
	if n.Load() != portal.MaxAppPages {
		t.Errorf("%d requests, want %d", n.Load(), portal.MaxAppPages)
	}
}

func TestGetAppHostileServers(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name, body string
		status     int
		wantIn     string
		wantIs     error
	}{
		{name: "another app's record", body: `{"id":"other","name":"Other","ios":null,"android":null}`, wantIn: "the field id names another app than the one asked for"},
		{name: "a listing instead of a record", body: `{"apps":[],"next":null}`, wantIn: "the field id is missing"},
		{name: "bad bundle ID", body: `{"id":"my-app","name":"A","ios":{"bundleId":"` + secretish + `/x"}}`, wantIn: "the field ios.bundleId is not a bundle ID"},
		{name: "array", body: `[]`, wantIn: "the body is not a JSON object"},
		{name: "html 404", body: `<html>` + secretish + `</html>`, status: 404, wantIs: portal.ErrNoAppRecords},
		{name: "app_not_found", body: `{"error":{"code":"app_not_found","message":"no"}}`, status: 404, wantIn: `has no app "my-app"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status := tc.status
			if status == 0 {
				status = 200
			}
			c, _ := hostile(t, map[string]string{"": tc.body}, status)
			_, err := c.GetApp(t.Context(), project, app)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantIs)
			}
			if !strings.Contains(advised(err), tc.wantIn) {
				t.Errorf("error %q does not contain %q", err, tc.wantIn)
			}
			if strings.Contains(err.Error()+advised(err), secretish) {
				t.Errorf("error %q quotes a value", err)
			}
		})
	}
}

func TestAppsRetry(t *testing.T) {
	t.Parallel()

	e := setup(t, "")
	e.portal.SetPageSize(1)
	e.portal.SetAppRecord(project, portalstandin.AppRecord{ID: "b", Name: "B", BundleID: "com.acme.b"})
	// The second page fails twice before it is served.
	e.portal.Faults().Add(fault.Fault{Times: 1}, fault.Fault{Kind: fault.Status, Status: 503, Times: 2})
	got, err := e.client.ListApps(t.Context(), project)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("got %+v", got)
	}
	if n := len(e.requests()); n != 4 {
		t.Errorf("%d requests, want 4 (one page retried twice)", n)
	}
}
