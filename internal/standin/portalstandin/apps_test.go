package portalstandin_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/standin/portalstandin"
)

type appWire struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	IOS     *iosID  `json:"ios"`
	Android *andrID `json:"android"`
}

type iosID struct {
	BundleID string `json:"bundleId"`
}

type andrID struct {
	PackageName string `json:"packageName"`
}

type pageWire struct {
	Apps []appWire `json:"apps"`
	Next *string   `json:"next"`
}

func decodeJSON[T any](t *testing.T, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(a.body), &v); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	return v
}

func TestAppRoutesAuthAndLookup(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	s.SetAppRecord("acme", portalstandin.AppRecord{ID: "my-app", Name: "My App", BundleID: "com.acme.app", PackageName: "com.acme.app"})
	h := s.Handler()
	cases := []struct {
		name, method, path, auth string
		wantStatus               int
		wantCode                 string
	}{
		{"no token", "GET", "/api/v1/projects/acme/apps", "", 401, "unauthorized"},
		{"unknown token", "GET", "/api/v1/projects/acme/apps/my-app", "Bearer nope", 401, "unauthorized"},
		{"other project's token", "GET", "/api/v1/projects/acme/apps", "Bearer " + other, 403, "forbidden"},
		{"no access to a missing project", "GET", "/api/v1/projects/ghost/apps", "Bearer " + token, 403, "forbidden"},
		{"missing app", "GET", "/api/v1/projects/acme/apps/ghost", "Bearer " + token, 404, "app_not_found"},
		{"PUT is not served", "PUT", "/api/v1/projects/acme/apps", "Bearer " + token, 405, "method_not_allowed"},
		{"bad cursor", "GET", "/api/v1/projects/acme/apps?cursor=%25%25", "Bearer " + token, 400, "invalid_cursor"},
		{"listing", "GET", "/api/v1/projects/acme/apps", "Bearer " + token, 200, ""},
		{"record", "GET", "/api/v1/projects/acme/apps/my-app", "Bearer " + token, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, h, request{method: tc.method, path: tc.path, auth: tc.auth})
			if got.status != tc.wantStatus || got.code() != tc.wantCode {
				t.Errorf("got %d %q (%s), want %d %q", got.status, got.code(), got.body, tc.wantStatus, tc.wantCode)
			}
		})
	}

	t.Run("project without access is 403 before 404", func(t *testing.T) {
		t.Parallel()
		s := portalstandin.New()
		s.AddToken(token, "ghost") // access, but no such project
		got := do(t, s.Handler(), request{method: "GET", path: "/api/v1/projects/ghost/apps", auth: "Bearer " + token})
		if got.status != 404 || got.code() != "project_not_found" {
			t.Errorf("got %d %q, want 404 project_not_found", got.status, got.code())
		}
	})
}

func TestAppRecord(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	s.SetAppRecord("acme", portalstandin.AppRecord{ID: "weather", Name: "Weather", BundleID: "com.acme.weather"})
	s.SetAppRecord("acme", portalstandin.AppRecord{ID: "team/app one", PackageName: "com.acme.one"})
	h := s.Handler()

	cases := []struct {
		name, path string
		want       appWire
	}{
		{"iOS only", "/api/v1/projects/acme/apps/weather",
			appWire{ID: "weather", Name: "Weather", IOS: &iosID{"com.acme.weather"}}},
		{"escaped ID, name defaults to the ID", "/api/v1/projects/acme/apps/" + url.PathEscape("team/app one"),
			appWire{ID: "team/app one", Name: "team/app one", Android: &andrID{"com.acme.one"}}},
		{"app added without a record", "/api/v1/projects/acme/apps/my-app",
			appWire{ID: "my-app", Name: "my-app"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := do(t, h, request{method: "GET", path: tc.path, auth: "Bearer " + token})
			if got.status != 200 {
				t.Fatalf("status %d: %s", got.status, got.body)
			}
			if diff := cmp.Diff(tc.want, decodeJSON[appWire](t, got)); diff != "" {
				t.Errorf("record (-want +got):\n%s", diff)
			}
		})
	}

}

func TestAppRecordKeepsKeys(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	s.SetIOSKey("acme", "weather", portalstandin.IOSRecord{KeyID: keyID, IssuerID: issuerID})
	s.SetAppRecord("acme", portalstandin.AppRecord{ID: "weather", BundleID: "com.acme.weather"})
	if _, ok := s.IOSKey("acme", "weather"); !ok {
		t.Error("SetAppRecord dropped the app's key")
	}
}

func TestAppListingPages(t *testing.T) {
	t.Parallel()

	cases := []struct {
		name      string
		apps      int
		pageSize  int // 0: default
		wantPages []int
	}{
		{"one app", 1, 0, []int{1}},
		{"one page", 3, 0, []int{3}},
		{"exactly the default page", 100, 0, []int{100}},
		{"default page size is 100", 250, 0, []int{100, 100, 50}},
		{"small pages", 5, 2, []int{2, 2, 1}},
		{"exact multiple", 4, 2, []int{2, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := portalstandin.New()
			s.AddToken(token, "acme")
			var want []string
			for i := range tc.apps {
				id := fmt.Sprintf("app-%03d", i)
				s.SetAppRecord("acme", portalstandin.AppRecord{ID: id, BundleID: fmt.Sprintf("com.acme.a%d", i)})
				want = append(want, id)
			}
			s.SetPageSize(tc.pageSize)

			var got []string
			var sizes []int
			path := "/api/v1/projects/acme/apps"
			for range 1000 {
				a := do(t, s.Handler(), request{method: "GET", path: path, auth: "Bearer " + token})
				if a.status != 200 {
					t.Fatalf("status %d: %s", a.status, a.body)
				}
				page := decodeJSON[pageWire](t, a)
				if page.Apps == nil {
					t.Fatalf("apps is not an array: %s", a.body)
				}
				sizes = append(sizes, len(page.Apps))
				for _, app := range page.Apps {
					got = append(got, app.ID)
				}
				if page.Next == nil {
					break
				}
				path = "/api/v1/projects/acme/apps?cursor=" + url.QueryEscape(*page.Next)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("apps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantPages, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyListingIsAnArray(t *testing.T) {
	t.Parallel()
	s := portalstandin.New()
	s.AddToken(token, "acme")
	s.AddApp("acme", "a")
	s.SetPageSize(1)
	// The cursor after the last app: an empty page, still an array.
	a := do(t, s.Handler(), request{method: "GET", path: "/api/v1/projects/acme/apps?cursor=YQ", auth: "Bearer " + token})
	if a.status != 200 || a.body != `{"apps":[],"next":null}`+"\n" {
		t.Errorf("got %d %s", a.status, a.body)
	}
}

func TestNoAppRecords(t *testing.T) {
	t.Parallel()

	s := newServer(t)
	s.SetNoAppRecords(true)
	h := s.Handler()
	for _, path := range []string{"/api/v1/projects/acme/apps", "/api/v1/projects/acme/apps/my-app"} {
		for _, auth := range []string{"Bearer " + token, ""} {
			got := do(t, h, request{method: "GET", path: path, auth: auth})
			if got.status != 404 || got.code() != "not_found" {
				t.Errorf("GET %s (auth %q): %d %q, want 404 not_found as a v1 portal", path, auth, got.status, got.code())
			}
		}
	}
	// The key routes still work.
	if got := do(t, h, request{method: "GET", path: iosPath, auth: "Bearer " + token}); got.status != 404 || got.code() != "key_not_found" {
		t.Errorf("key route: %d %q, want 404 key_not_found", got.status, got.code())
	}
	s.SetNoAppRecords(false)
	if got := do(t, h, request{method: "GET", path: "/api/v1/projects/acme/apps", auth: "Bearer " + token}); got.status != 200 {
		t.Errorf("records back on: %d %s", got.status, got.body)
	}
}
