package ascstandin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

// wantUnauthorized is Apple's 401 body, with the error id left out.
const wantUnauthorized = `{"errors":[{"id":"<uuid>","status":"401","code":"NOT_AUTHORIZED",` +
	`"title":"Authentication credentials are missing or invalid.",` +
	`"detail":"Provide a properly configured and signed bearer token, and make sure that it has not expired. ` +
	`Learn more about Generating Tokens for API Requests https://developer.apple.com/go/?id=api-generating-tokens"}]}`

var errorID = regexp.MustCompile(`"id":"[^"]*"`)

func TestTokenVerification(t *testing.T) {
	t.Parallel()
	type parts struct {
		header map[string]any
		claims jwt.MapClaims
	}
	cases := []struct {
		name string
		// edit changes a valid header and claims.
		edit func(f *fixture, p *parts)
		// token signs them; nil signs with the registered key.
		token func(t *testing.T, f *fixture, p parts) string
		// authz builds the Authorization header from the token.
		authz      func(tok string) string
		wantStatus int
		wantReason string // part of LastToken().Rejected; "" when accepted
	}{
		{name: "valid", wantStatus: http.StatusOK},
		{name: "valid without typ", edit: func(_ *fixture, p *parts) { delete(p.header, "typ") }, wantStatus: http.StatusOK},
		{name: "lifetime exactly 20 minutes", edit: func(f *fixture, p *parts) {
			p.claims["iat"] = f.clock.Now().Unix()
			p.claims["exp"] = f.clock.Now().Add(20 * time.Minute).Unix()
		}, wantStatus: http.StatusOK},
		{name: "iat 30 s ahead (clock skew)", edit: func(f *fixture, p *parts) {
			p.claims["iat"] = f.clock.Now().Add(30 * time.Second).Unix()
		}, wantStatus: http.StatusOK},
		{name: "lowercase bearer scheme", authz: func(tok string) string { return "bearer " + tok }, wantStatus: http.StatusOK},

		{name: "missing Authorization", authz: func(string) string { return "" }, wantStatus: http.StatusUnauthorized},
		{name: "Bearer missing", authz: func(tok string) string { return tok }, wantStatus: http.StatusUnauthorized},
		{name: "Basic scheme", authz: func(tok string) string { return "Basic " + tok }, wantStatus: http.StatusUnauthorized},
		{name: "Bearer without token", authz: func(string) string { return "Bearer " }, wantStatus: http.StatusUnauthorized},
		{name: "not a JWT", authz: func(string) string { return "Bearer not-a-jwt" }, wantStatus: http.StatusUnauthorized},
		{name: "signature cut", authz: func(tok string) string { return "Bearer " + tok[:strings.LastIndex(tok, ".")+1] },
			wantStatus: http.StatusUnauthorized, wantReason: "signature does not verify"},
		{name: "claims altered after signing", token: func(t *testing.T, f *fixture, p parts) string {
			tok := sign(t, jwt.SigningMethodES256, f.priv, p.header, p.claims)
			seg := strings.Split(tok, ".")
			p.claims["iss"] = otherTeam
			forged := strings.Split(sign(t, jwt.SigningMethodES256, newKey(t), p.header, p.claims), ".")
			return seg[0] + "." + forged[1] + "." + seg[2]
		}, wantStatus: http.StatusUnauthorized, wantReason: "signature does not verify"},
		{name: "signed by another key", token: func(t *testing.T, _ *fixture, p parts) string {
			return sign(t, jwt.SigningMethodES256, newKey(t), p.header, p.claims)
		}, wantStatus: http.StatusUnauthorized, wantReason: "signature does not verify"},
		{name: "revoked key", edit: func(f *fixture, _ *parts) { f.srv.RevokeKey(testKeyID) },
			wantStatus: http.StatusUnauthorized, wantReason: "revoked"},
		{name: "unknown kid", edit: func(_ *fixture, p *parts) { p.header["kid"] = "ZZZZZ99999" },
			wantStatus: http.StatusUnauthorized, wantReason: `no key with kid "ZZZZZ99999"`},
		{name: "kid missing", edit: func(_ *fixture, p *parts) { delete(p.header, "kid") },
			wantStatus: http.StatusUnauthorized, wantReason: "kid is missing"},
		{name: "typ not JWT", edit: func(_ *fixture, p *parts) { p.header["typ"] = "at+jwt" },
			wantStatus: http.StatusUnauthorized, wantReason: "typ is not JWT"},
		{name: "alg HS256", token: func(t *testing.T, _ *fixture, p parts) string {
			p.header["alg"] = "HS256"
			return sign(t, jwt.SigningMethodHS256, []byte("a shared secret of thirty-two by"), p.header, p.claims)
		}, wantStatus: http.StatusUnauthorized, wantReason: `alg is "HS256"`},
		{name: "alg none", token: func(t *testing.T, _ *fixture, p parts) string {
			p.header["alg"] = "none"
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, p.header, p.claims)
		}, wantStatus: http.StatusUnauthorized, wantReason: `alg is "none"`},
		{name: "alg ES384", token: func(t *testing.T, _ *fixture, p parts) string {
			k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			p.header["alg"] = "ES384"
			return sign(t, jwt.SigningMethodES384, k, p.header, p.claims)
		}, wantStatus: http.StatusUnauthorized, wantReason: `alg is "ES384"`},
		{name: "alg ES256 in header, signed as none", token: func(t *testing.T, _ *fixture, p parts) string {
			tok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, p.header, p.claims)
			return tok + "AAAA"
		}, wantStatus: http.StatusUnauthorized, wantReason: "signature does not verify"},
		{name: "wrong iss", edit: func(_ *fixture, p *parts) { p.claims["iss"] = otherTeam },
			wantStatus: http.StatusUnauthorized, wantReason: "is not the issuer ID"},
		{name: "iss missing", edit: func(_ *fixture, p *parts) { delete(p.claims, "iss") },
			wantStatus: http.StatusUnauthorized, wantReason: "is not the issuer ID"},
		{name: "aud as array", edit: func(_ *fixture, p *parts) { p.claims["aud"] = []string{"appstoreconnect-v1"} },
			wantStatus: http.StatusUnauthorized, wantReason: "aud is not a plain string"},
		{name: "aud wrong", edit: func(_ *fixture, p *parts) { p.claims["aud"] = "appstoreconnect-v2" },
			wantStatus: http.StatusUnauthorized, wantReason: `aud "appstoreconnect-v2"`},
		{name: "aud missing", edit: func(_ *fixture, p *parts) { delete(p.claims, "aud") },
			wantStatus: http.StatusUnauthorized, wantReason: "aud is missing"},
		{name: "sub present", edit: func(_ *fixture, p *parts) { p.claims["sub"] = "user" },
			wantStatus: http.StatusUnauthorized, wantReason: "sub is present"},
		{name: "scope not a list", edit: func(_ *fixture, p *parts) { p.claims["scope"] = "GET /v1/apps" },
			wantStatus: http.StatusUnauthorized, wantReason: "scope is not a list"},
		{name: "exp - iat 21 minutes", edit: func(f *fixture, p *parts) {
			p.claims["iat"] = f.clock.Now().Unix()
			p.claims["exp"] = f.clock.Now().Add(21 * time.Minute).Unix()
		}, wantStatus: http.StatusUnauthorized, wantReason: "more than 20 minutes"},
		{name: "expired", edit: func(f *fixture, p *parts) {
			p.claims["iat"] = f.clock.Now().Add(-11 * time.Minute).Unix()
			p.claims["exp"] = f.clock.Now().Add(-time.Second).Unix()
		}, wantStatus: http.StatusUnauthorized, wantReason: "expired"},
		{name: "exp is now", edit: func(f *fixture, p *parts) { p.claims["exp"] = f.clock.Now().Unix() },
			wantStatus: http.StatusUnauthorized, wantReason: "expired"},
		{name: "exp missing", edit: func(_ *fixture, p *parts) { delete(p.claims, "exp") },
			wantStatus: http.StatusUnauthorized, wantReason: "exp is missing"},
		{name: "exp a string", edit: func(_ *fixture, p *parts) { p.claims["exp"] = "tomorrow" },
			wantStatus: http.StatusUnauthorized, wantReason: "exp is not a number"},
		{name: "iat missing", edit: func(_ *fixture, p *parts) { delete(p.claims, "iat") },
			wantStatus: http.StatusUnauthorized, wantReason: "iat is missing"},
		{name: "iat in the future", edit: func(f *fixture, p *parts) {
			p.claims["iat"] = f.clock.Now().Add(2 * time.Minute).Unix()
			p.claims["exp"] = f.clock.Now().Add(12 * time.Minute).Unix()
		}, wantStatus: http.StatusUnauthorized, wantReason: "iat is in the future"},
		{name: "exp before iat", edit: func(f *fixture, p *parts) {
			p.claims["iat"] = f.clock.Now().Add(50 * time.Second).Unix()
			p.claims["exp"] = f.clock.Now().Add(40 * time.Second).Unix()
		}, wantStatus: http.StatusUnauthorized, wantReason: "exp is not after iat"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			h, c := f.validParts()
			p := parts{h, c}
			if tc.edit != nil {
				tc.edit(f, &p)
			}
			var tok string
			if tc.token != nil {
				tok = tc.token(t, f, p)
			} else {
				tok = sign(t, jwt.SigningMethodES256, f.priv, p.header, p.claims)
			}
			authz := "Bearer " + tok
			if tc.authz != nil {
				authz = tc.authz(tok)
			}

			resp, body := do(t, http.MethodGet, f.url+"/v1/apps?limit=1", authz)

			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			if got := resp.Header.Get("X-Rate-Limit"); !regexp.MustCompile(`^user-hour-lim:3600;user-hour-rem:\d+;$`).MatchString(got) {
				t.Errorf("X-Rate-Limit = %q", got)
			}
			if tc.wantStatus == http.StatusUnauthorized {
				decodeError(t, body) // checks the id is a UUID
				if got := errorID.ReplaceAllString(string(body), `"id":"<uuid>"`); got != wantUnauthorized {
					t.Errorf("body:\n%s\nwant:\n%s", got, wantUnauthorized)
				}
			}
			last, seen := f.srv.LastToken()
			if tc.wantReason == "" {
				if seen && last.Rejected != "" {
					t.Errorf("LastToken().Rejected = %q, want accepted", last.Rejected)
				}
				return
			}
			if !seen || !strings.Contains(last.Rejected, tc.wantReason) {
				t.Errorf("LastToken() = %v, %+v; want Rejected containing %q", seen, last, tc.wantReason)
			}
		})
	}
}

func TestLastTokenDecodesHeaderAndClaims(t *testing.T) {
	t.Parallel()
	f := setup(t)
	if _, seen := f.srv.LastToken(); seen {
		t.Fatal("LastToken reports a token before any request")
	}
	resp, body := do(t, http.MethodGet, f.url+"/v1/apps", "Bearer "+f.validToken(t))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%s", resp.StatusCode, body)
	}
	got, seen := f.srv.LastToken()
	iat := f.clock.Now().Add(-30 * time.Second).Unix()
	want := Token{
		Header: map[string]any{"alg": "ES256", "kid": testKeyID, "typ": "JWT"},
		Claims: map[string]any{
			"iss": testIssuer, "aud": "appstoreconnect-v1",
			"iat": json.Number(jsonInt(iat)), "exp": json.Number(jsonInt(iat + 600)),
		},
	}
	if !seen {
		t.Fatal("LastToken reports no token")
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LastToken() mismatch (-want +got):\n%s", diff)
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestRoles(t *testing.T) {
	t.Parallel()
	cases := []struct {
		role       string
		wantStatus int
	}{
		{"", http.StatusOK}, // defaults to ADMIN
		{RoleAdmin, http.StatusOK},
		{RoleAppManager, http.StatusOK},
		{RoleDeveloper, http.StatusOK},
		{RoleFinance, http.StatusForbidden},
		{RoleSales, http.StatusForbidden},
		{RoleMarketing, http.StatusForbidden},
		{"CUSTOMER_SUPPORT", http.StatusForbidden},
	}
	for _, tc := range cases {
		t.Run("role "+tc.role, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.srv.AddKey(Key{KeyID: testKeyID, IssuerID: testIssuer, Public: &f.priv.PublicKey, Role: tc.role})

			resp, body := do(t, http.MethodGet, f.url+"/v1/apps", "Bearer "+f.validToken(t))

			if resp.StatusCode != tc.wantStatus {
				t.Fatalf("status = %d, want %d; body:\n%s", resp.StatusCode, tc.wantStatus, body)
			}
			if got := resp.Header.Get("X-Rate-Limit"); got != "user-hour-lim:3600;user-hour-rem:3599;" {
				t.Errorf("X-Rate-Limit = %q", got)
			}
			if tc.wantStatus != http.StatusForbidden {
				return
			}
			want := errorObject{Status: "403", Code: "FORBIDDEN_ERROR",
				Title: "This request is forbidden for security reasons", Detail: "The API key in use does not allow this request"}
			if diff := cmp.Diff(want, decodeError(t, body)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
