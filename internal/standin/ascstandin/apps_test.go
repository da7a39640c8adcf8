package ascstandin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// listed is what a test compares of a list answer.
type listed struct {
	IDs        []string
	Attributes []map[string]any
	Total      int
	Limit      int
	HasNext    bool
}

func decodeList(t *testing.T, body []byte) (appsDocument, listed) {
	t.Helper()
	var doc appsDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("list body is not JSON: %v\n%s", err, body)
	}
	if !strings.Contains(string(body), `"data":[`) {
		t.Errorf("data is not a JSON array:\n%s", body)
	}
	got := listed{Total: doc.Meta.Paging.Total, Limit: doc.Meta.Paging.Limit, HasNext: doc.Links.Next != ""}
	for _, d := range doc.Data {
		if d.Type != "apps" {
			t.Errorf("data type = %q, want apps", d.Type)
		}
		got.IDs = append(got.IDs, d.ID)
		got.Attributes = append(got.Attributes, d.Attributes)
	}
	return doc, got
}

func TestListApps(t *testing.T) {
	t.Parallel()
	alpha := map[string]any{"name": "Alpha", "bundleId": "com.example.alpha", "sku": "COM_EXAMPLE_ALPHA", "primaryLocale": "en-US"}
	beta := map[string]any{"name": "Beta", "bundleId": "com.example.beta", "sku": "BETA1", "primaryLocale": "de-DE"}
	gamma := map[string]any{"name": "Gamma", "bundleId": "com.example.gamma", "sku": "COM_EXAMPLE_GAMMA", "primaryLocale": "en-US"}
	cases := []struct {
		name  string
		query string
		want  listed
	}{
		{name: "all apps of the team", query: "",
			want: listed{IDs: []string{"1000000001", "1000000002", "1000000003"}, Attributes: []map[string]any{alpha, beta, gamma}, Total: 3, Limit: 50}},
		{name: "limit 1", query: "limit=1",
			want: listed{IDs: []string{"1000000001"}, Attributes: []map[string]any{alpha}, Total: 3, Limit: 1, HasNext: true}},
		{name: "limit 200", query: "limit=200",
			want: listed{IDs: []string{"1000000001", "1000000002", "1000000003"}, Attributes: []map[string]any{alpha, beta, gamma}, Total: 3, Limit: 200}},
		{name: "fields bundleId only", query: "limit=1&fields%5Bapps%5D=bundleId",
			want: listed{IDs: []string{"1000000001"}, Attributes: []map[string]any{{"bundleId": "com.example.alpha"}}, Total: 3, Limit: 1, HasNext: true}},
		{name: "fields two", query: "fields[apps]=name,sku&filter[bundleId]=com.example.beta",
			want: listed{IDs: []string{"1000000002"}, Attributes: []map[string]any{{"name": "Beta", "sku": "BETA1"}}, Total: 1, Limit: 50}},
		{name: "filter bundleId list", query: "filter[bundleId]=com.example.gamma,com.example.alpha&fields[apps]=bundleId&limit=200",
			want: listed{IDs: []string{"1000000001", "1000000003"}, Attributes: []map[string]any{{"bundleId": "com.example.alpha"}, {"bundleId": "com.example.gamma"}}, Total: 2, Limit: 200}},
		{name: "filter bundleId is exact, not a prefix", query: "filter[bundleId]=com.example",
			want: listed{Total: 0, Limit: 50}},
		{name: "filter bundleId is case sensitive", query: "filter[bundleId]=COM.EXAMPLE.ALPHA",
			want: listed{Total: 0, Limit: 50}},
		{name: "another team's app is not visible", query: "filter[bundleId]=org.other.app,com.example.beta&fields[apps]=bundleId",
			want: listed{IDs: []string{"1000000002"}, Attributes: []map[string]any{{"bundleId": "com.example.beta"}}, Total: 1, Limit: 50}},
		{name: "filter id and name", query: "filter[id]=1000000001,1000000002&filter[name]=Beta&fields[apps]=name",
			want: listed{IDs: []string{"1000000002"}, Attributes: []map[string]any{{"name": "Beta"}}, Total: 1, Limit: 50}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			url := f.url + "/v1/apps"
			if tc.query != "" {
				url += "?" + tc.query
			}

			resp, body := do(t, http.MethodGet, url, "Bearer "+f.validToken(t))

			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%s", resp.StatusCode, body)
			}
			doc, got := decodeList(t, body)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("list mismatch (-want +got):\n%s", diff)
			}
			if doc.Links.Self != url {
				t.Errorf("links.self = %q, want %q", doc.Links.Self, url)
			}
			for _, d := range doc.Data {
				if want := f.url + "/v1/apps/" + d.ID; d.Links.Self != want {
					t.Errorf("data links.self = %q, want %q", d.Links.Self, want)
				}
			}
		})
	}
}

func TestListAppsPaging(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tok := "Bearer " + f.validToken(t)
	next := f.url + "/v1/apps?limit=2&filter[bundleId]=com.example.alpha,com.example.beta,com.example.gamma"
	var ids []string
	for page := 0; next != ""; page++ {
		if page == 5 {
			t.Fatalf("still paging after %d pages; next = %s", page, next)
		}
		resp, body := do(t, http.MethodGet, next, tok)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d: status = %d; body:\n%s", page, resp.StatusCode, body)
		}
		doc, got := decodeList(t, body)
		if got.Total != 3 || got.Limit != 2 {
			t.Errorf("page %d: paging = %d/%d, want total 3, limit 2", page, got.Total, got.Limit)
		}
		ids = append(ids, got.IDs...)
		next = doc.Links.Next
	}
	if diff := cmp.Diff([]string{"1000000001", "1000000002", "1000000003"}, ids); diff != "" {
		t.Errorf("ids over all pages (-want +got):\n%s", diff)
	}
}

func TestGetApp(t *testing.T) {
	t.Parallel()
	f := setup(t)
	tok := "Bearer " + f.validToken(t)

	resp, body := do(t, http.MethodGet, f.url+"/v1/apps/1000000002?fields[apps]=bundleId", tok)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%s", resp.StatusCode, body)
	}
	var doc appDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	want := appResource{Type: "apps", ID: "1000000002", Attributes: map[string]any{"bundleId": "com.example.beta"},
		Links: selfLink{Self: f.url + "/v1/apps/1000000002"}}
	if diff := cmp.Diff(want, doc.Data); diff != "" {
		t.Errorf("data mismatch (-want +got):\n%s", diff)
	}

	resp, body = do(t, http.MethodGet, f.url+"/v1/apps/2000000001", tok)
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("another team's app: status = %d, want 404; body:\n%s", resp.StatusCode, body)
	}
	wantErr := errorObject{Status: "404", Code: "NOT_FOUND", Title: "The specified resource does not exist",
		Detail: "There is no resource of type 'apps' with id '2000000001'"}
	if diff := cmp.Diff(wantErr, decodeError(t, body)); diff != "" {
		t.Errorf("error mismatch (-want +got):\n%s", diff)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	invalid := func(param, detail string) errorObject {
		return errorObject{Status: "400", Code: "PARAMETER_ERROR.INVALID", Title: "A parameter has an invalid value",
			Detail: detail, Source: &errorSource{Parameter: param}}
	}
	cases := []struct {
		name       string
		method     string
		path       string
		wantStatus int
		want       errorObject
		wantAllow  string
	}{
		{name: "limit 0", path: "/v1/apps?limit=0", wantStatus: 400,
			want: invalid("limit", "'0' is not a valid value for the parameter 'limit'. The value must be an integer from 1 to 200.")},
		{name: "limit 201", path: "/v1/apps?limit=201", wantStatus: 400,
			want: invalid("limit", "'201' is not a valid value for the parameter 'limit'. The value must be an integer from 1 to 200.")},
		{name: "limit not a number", path: "/v1/apps?limit=ten", wantStatus: 400,
			want: invalid("limit", "'ten' is not a valid value for the parameter 'limit'. The value must be an integer from 1 to 200.")},
		{name: "limit twice", path: "/v1/apps?limit=1&limit=2", wantStatus: 400,
			want: invalid("limit", "The parameter 'limit' can only be given once.")},
		{name: "unknown field", path: "/v1/apps?fields[apps]=bundleId,nope", wantStatus: 400,
			want: invalid("fields[apps]", "'nope' is not a valid field name")},
		{name: "empty fields", path: "/v1/apps?fields[apps]=", wantStatus: 400,
			want: invalid("fields[apps]", "The parameter 'fields[apps]' needs one comma-separated list of field names.")},
		{name: "unknown filter", path: "/v1/apps?filter[bundle]=com.example.alpha", wantStatus: 400,
			want: invalid("filter[bundle]", "'bundle' is not a valid filter type")},
		{name: "empty filter", path: "/v1/apps?filter[bundleId]=,", wantStatus: 400,
			want: invalid("filter[bundleId]", "The filter 'bundleId' needs at least one value.")},
		{name: "bad cursor", path: "/v1/apps?cursor=zz!", wantStatus: 400,
			want: invalid("cursor", "'zz!' is not a valid cursor for this request.")},
		{name: "unknown parameter", path: "/v1/apps?sort=name", wantStatus: 400,
			want: errorObject{Status: "400", Code: "PARAMETER_ERROR.ILLEGAL", Title: "A given parameter is not allowed for this request",
				Detail: "The parameter 'sort' can not be used with this request", Source: &errorSource{Parameter: "sort"}}},
		{name: "broken query", path: "/v1/apps?limit=%zz", wantStatus: 400,
			want: invalid("", "The query string could not be parsed.")},
		{name: "unknown path", path: "/v1/appz", wantStatus: 404,
			want: errorObject{Status: "404", Code: "NOT_FOUND", Title: "The specified resource does not exist",
				Detail: "The path provided does not match a defined resource type."}},
		{name: "path below an app", path: "/v1/apps/1000000001/builds", wantStatus: 404,
			want: errorObject{Status: "404", Code: "NOT_FOUND", Title: "The specified resource does not exist",
				Detail: "The path provided does not match a defined resource type."}},
		{name: "trailing slash", path: "/v1/apps/", wantStatus: 404,
			want: errorObject{Status: "404", Code: "NOT_FOUND", Title: "The specified resource does not exist",
				Detail: "The path provided does not match a defined resource type."}},
		{name: "POST apps", method: http.MethodPost, path: "/v1/apps", wantStatus: 403,
			want: errorObject{Status: "403", Code: "FORBIDDEN_ERROR", Title: "This request is forbidden for security reasons",
				Detail: "The resource 'apps' does not allow 'CREATE'. Allowed operations are: GET_COLLECTION, GET_INSTANCE, UPDATE"}},
		{name: "DELETE app", method: http.MethodDelete, path: "/v1/apps/1000000001", wantStatus: 403,
			want: errorObject{Status: "403", Code: "FORBIDDEN_ERROR", Title: "This request is forbidden for security reasons",
				Detail: "The resource 'apps' does not allow 'DELETE'. Allowed operations are: GET_COLLECTION, GET_INSTANCE, UPDATE"}},
		{name: "PUT apps", method: http.MethodPut, path: "/v1/apps", wantStatus: 405, wantAllow: "GET",
			want: errorObject{Status: "405", Code: "METHOD_NOT_ALLOWED", Title: "The request method is not allowed for this resource",
				Detail: "The method 'PUT' is not allowed for this resource."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			method := tc.method
			if method == "" {
				method = http.MethodGet
			}

			resp, body := do(t, method, f.url+tc.path, "Bearer "+f.validToken(t))

			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			if diff := cmp.Diff(tc.want, decodeError(t, body)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if got := resp.Header.Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tc.wantAllow)
			}
			if got := resp.Header.Get("X-Rate-Limit"); got != "user-hour-lim:3600;user-hour-rem:3599;" {
				t.Errorf("X-Rate-Limit = %q", got)
			}
		})
	}
}

func TestUnknownPathNeedsAToken(t *testing.T) {
	t.Parallel()
	f := setup(t)
	resp, body := do(t, http.MethodGet, f.url+"/v1/appz", "")
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("status = %d, want 401; body:\n%s", resp.StatusCode, body)
	}
}
