package ascstandin

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// wantAgreement is Apple's 403 while an updated agreement is not accepted.
var wantAgreement = errorObject{
	Status: "403",
	Code:   "FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED",
	Title:  "A required agreement is missing or has expired.",
	Detail: "This request requires an in-effect agreement that has not been signed or has expired.",
	Links:  &errorLinks{See: "/business"},
}

func TestAgreementExpiredRefusesEveryCallOfTheTeam(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.SetAgreement(testIssuer, AgreementExpired)
	tok := "Bearer " + f.validToken(t)
	finance := newKey(t)
	f.srv.AddKey(Key{KeyID: "FINANCE001", IssuerID: testIssuer, Public: &finance.PublicKey, Role: RoleFinance})
	h, c := f.validParts()
	h["kid"] = "FINANCE001"
	financeTok := "Bearer " + sign(t, jwt.SigningMethodES256, finance, h, c)

	cases := []struct {
		name, method, path, auth string
	}{
		{"list", http.MethodGet, "/v1/apps?limit=1&fields[apps]=bundleId", tok},
		{"filtered list", http.MethodGet, "/v1/apps?filter[bundleId]=com.example.alpha&fields[apps]=bundleId&limit=200", tok},
		{"instance", http.MethodGet, "/v1/apps/1000000001", tok},
		{"bad query", http.MethodGet, "/v1/apps?limit=0", tok},
		{"unknown path", http.MethodGet, "/v1/certificates?limit=1", tok},
		{"write", http.MethodPost, "/v1/apps", tok},
		{"key whose role cannot read apps", http.MethodGet, "/v1/apps", financeTok},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			resp, body := do(t, tc.method, f.url+tc.path, tc.auth)
			if resp.StatusCode != http.StatusForbidden {
				t.Fatalf("status = %d, want 403; body:\n%s", resp.StatusCode, body)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if resp.Header.Get("X-Rate-Limit") == "" {
				t.Error("no X-Rate-Limit header")
			}
			if diff := cmp.Diff(wantAgreement, decodeError(t, body)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAgreementComesAfterTheToken: the agreement is the team's, and only a
// verified token names the team, so a bad token still gets 401.
func TestAgreementComesAfterTheToken(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.SetAgreement(testIssuer, AgreementExpired)
	h, c := f.validParts()
	c["aud"] = "appstoreconnect-v2"
	wrongAud := sign(t, jwt.SigningMethodES256, f.priv, h, c)
	h, c = f.validParts()
	wrongSig := sign(t, jwt.SigningMethodES256, newKey(t), h, c)
	for name, auth := range map[string]string{
		"no token":              "",
		"garbage":               "Bearer x.y.z",
		"wrong audience":        "Bearer " + wrongAud,
		"signed by another key": "Bearer " + wrongSig,
	} {
		resp, body := do(t, http.MethodGet, f.url+"/v1/apps", auth)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: status = %d, want 401; body:\n%s", name, resp.StatusCode, body)
		}
	}
	f.srv.RevokeKey(testKeyID)
	if resp, _ := do(t, http.MethodGet, f.url+"/v1/apps", "Bearer "+f.validToken(t)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked key: status = %d, want 401", resp.StatusCode)
	}
}

func TestAgreementIsPerTeamAndCanBeAccepted(t *testing.T) {
	t.Parallel()
	f := setup(t)
	other := newKey(t)
	f.srv.AddKey(Key{KeyID: "OTHERTEAM1", IssuerID: otherTeam, Public: &other.PublicKey})
	h, c := f.validParts()
	h["kid"], c["iss"] = "OTHERTEAM1", otherTeam
	otherTok := "Bearer " + sign(t, jwt.SigningMethodES256, other, h, c)
	tok := "Bearer " + f.validToken(t)

	f.srv.SetAgreement(otherTeam, AgreementExpired)
	if resp, body := do(t, http.MethodGet, f.url+"/v1/apps", tok); resp.StatusCode != http.StatusOK {
		t.Errorf("team in good standing: status = %d; body:\n%s", resp.StatusCode, body)
	}
	if resp, _ := do(t, http.MethodGet, f.url+"/v1/apps", otherTok); resp.StatusCode != http.StatusForbidden {
		t.Errorf("team with the expired agreement: status = %d, want 403", resp.StatusCode)
	}
	f.srv.SetAgreement(otherTeam, AgreementInEffect)
	resp, body := do(t, http.MethodGet, f.url+"/v1/apps", otherTok)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the agreement was accepted: status = %d; body:\n%s", resp.StatusCode, body)
	}
	if _, got := decodeList(t, body); len(got.IDs) != 1 || got.IDs[0] != "2000000001" {
		t.Errorf("after the agreement was accepted the team sees %v, want its app 2000000001", got.IDs)
	}
}

func TestAgreementHidesApps(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.srv.SetAgreement(testIssuer, AgreementHidesApps)
	tok := "Bearer " + f.validToken(t)

	resp, body := do(t, http.MethodGet, f.url+"/v1/apps?filter[bundleId]=com.example.alpha,com.example.beta&fields[apps]=bundleId&limit=200", tok)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list: status = %d; body:\n%s", resp.StatusCode, body)
	}
	if _, got := decodeList(t, body); len(got.IDs) != 0 || got.Total != 0 {
		t.Errorf("list shows %v (total %d), want no app", got.IDs, got.Total)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || string(raw["data"]) != "[]" {
		t.Errorf("data = %s, want [] (an empty listing, not null)", raw["data"])
	}
	resp, body = do(t, http.MethodGet, f.url+"/v1/apps/1000000001", tok)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("instance: status = %d, want 404; body:\n%s", resp.StatusCode, body)
	}
}
