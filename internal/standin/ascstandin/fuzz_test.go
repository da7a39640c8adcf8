package ascstandin

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzServe feeds arbitrary tokens and queries to the API: it must always
// answer with a known status, JSON and the X-Rate-Limit header, never panic.
func FuzzServe(f *testing.F) {
	c := &clock{t: time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)}
	fx := &fixture{clock: c}
	fx.priv = newKey(f)
	valid := fx.validToken(f)
	f.Add("Bearer "+valid, "/v1/apps", "limit=1&fields[apps]=bundleId")
	f.Add("Bearer "+valid, "/v1/apps", "filter[bundleId]=a,,b&cursor=bzox&limit=2")
	f.Add("Bearer "+valid, "/v1/apps/1", "fields[apps]=name,sku")
	f.Add("Bearer "+valid+"x", "/v1/apps", "")
	f.Add("Bearer e30.e30.", "/v1/x", "%zz")
	f.Add("bearer a.b.c", "/", "filter[=1")
	f.Fuzz(func(t *testing.T, authz, path, query string) {
		srv := New(WithClock(c.Now), WithRateLimit(5))
		srv.AddKey(Key{KeyID: testKeyID, IssuerID: testIssuer, Public: &fx.priv.PublicKey})
		srv.AddApp(App{ID: "1", BundleID: "a", Name: "A", IssuerID: testIssuer})
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/", nil)
		req.URL.Path, req.URL.RawQuery = path, query
		req.Header.Set("Authorization", authz)
		rec := httptest.NewRecorder()
		srv.serve(rec, req)
		switch rec.Code {
		case 200, 400, 401, 404:
		default:
			t.Fatalf("status %d", rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("body is not JSON: %q", rec.Body.String())
		}
		if rec.Header().Get("X-Rate-Limit") == "" {
			t.Fatal("no X-Rate-Limit header")
		}
	})
}
