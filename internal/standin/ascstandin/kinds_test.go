package ascstandin

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestIndividualKeysAndClockOffset covers the two things a runner cannot
// see from a 401 alone: an individual key, which takes only its own kind of
// token, and Apple's clock, by which tokens are judged and answers dated.
func TestIndividualKeysAndClockOffset(t *testing.T) {
	t.Parallel()
	individualClaims := func(f *fixture) jwt.MapClaims {
		iat := f.clock.Now().Add(-30 * time.Second)
		return jwt.MapClaims{"sub": "user", "iat": iat.Unix(), "exp": iat.Add(10 * time.Minute).Unix(), "aud": "appstoreconnect-v1"}
	}
	cases := []struct {
		name       string
		individual bool
		offset     time.Duration
		claims     func(f *fixture) jwt.MapClaims // nil: a team key's token
		wantStatus int
		wantReason string
	}{
		{name: "team key, team token", wantStatus: http.StatusOK},
		{name: "team key, individual token", claims: individualClaims,
			wantStatus: http.StatusUnauthorized, wantReason: "is not the issuer ID"},
		{name: "individual key, individual token", individual: true, claims: individualClaims, wantStatus: http.StatusOK},
		{name: "individual key, team token", individual: true,
			wantStatus: http.StatusUnauthorized, wantReason: "individual key, whose tokens take no iss"},
		{name: "individual key, sub not user", individual: true, claims: func(f *fixture) jwt.MapClaims {
			c := individualClaims(f)
			c["sub"] = "admin"
			return c
		}, wantStatus: http.StatusUnauthorized, wantReason: `sub is not "user"`},
		{name: "individual key, sub missing", individual: true, claims: func(f *fixture) jwt.MapClaims {
			c := individualClaims(f)
			delete(c, "sub")
			return c
		}, wantStatus: http.StatusUnauthorized, wantReason: `sub is not "user"`},
		{name: "Apple 2 min ahead: still accepted", offset: 2 * time.Minute, wantStatus: http.StatusOK},
		{name: "Apple 10 min ahead: expired", offset: 10 * time.Minute,
			wantStatus: http.StatusUnauthorized, wantReason: "expired"},
		{name: "Apple 2 min behind: iat in the future", offset: -2 * time.Minute,
			wantStatus: http.StatusUnauthorized, wantReason: "iat is in the future"},
		{name: "Apple 50 s behind: within the skew", offset: -50 * time.Second, wantStatus: http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t, WithClockOffset(tc.offset))
			f.srv.AddKey(Key{KeyID: testKeyID, IssuerID: testIssuer, Public: &f.priv.PublicKey, Individual: tc.individual})
			h, c := f.validParts()
			if tc.claims != nil {
				c = tc.claims(f)
			}
			resp, body := do(t, http.MethodGet, f.url+"/v1/apps?limit=1", "Bearer "+sign(t, jwt.SigningMethodES256, f.priv, h, c))
			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			wantDate := f.clock.Now().Add(tc.offset).UTC().Format(http.TimeFormat)
			if got := resp.Header.Get("Date"); got != wantDate {
				t.Errorf("Date = %q, want %q (the shifted clock)", got, wantDate)
			}
			last, _ := f.srv.LastToken()
			if tc.wantReason == "" {
				if last.Rejected != "" {
					t.Errorf("Rejected = %q, want accepted", last.Rejected)
				}
				return
			}
			if !strings.Contains(last.Rejected, tc.wantReason) {
				t.Errorf("Rejected = %q, want it to contain %q", last.Rejected, tc.wantReason)
			}
			// Apple's own 401, whatever the reason.
			if got := errorID.ReplaceAllString(string(body), `"id":"<uuid>"`); got != wantUnauthorized {
				t.Errorf("body:\n%s\nwant:\n%s", got, wantUnauthorized)
			}
		})
	}
}
