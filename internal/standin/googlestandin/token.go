package googlestandin

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

const jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// maxLifetime is the longest an assertion may live, and skew how far its
// times may stray from the stand-in's clock.
const (
	maxLifetime = time.Hour
	skew        = 5 * time.Minute
)

type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

type jwtClaims struct {
	Iss   string `json:"iss"`
	Scope string `json:"scope"`
	Aud   string `json:"aud"`
	Sub   string `json:"sub"`
	Iat   int64  `json:"iat"`
	Exp   int64  `json:"exp"`
}

// serveToken is the JWT-bearer grant of Google's token endpoint.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeTokenError(w, tokenError{http.StatusMethodNotAllowed, "invalid_request", "Method not allowed: use POST."})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, tokenError{http.StatusBadRequest, "invalid_request", "Could not read the request body."})
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != jwtBearer {
		writeTokenError(w, tokenError{http.StatusBadRequest, "unsupported_grant_type", "Invalid grant_type: " + gt})
		return
	}
	assertion := r.PostForm.Get("assertion")
	if assertion == "" {
		writeTokenError(w, tokenError{http.StatusBadRequest, "invalid_request", "Missing required parameter: assertion"})
		return
	}
	claims, terr, ok := s.verifyAssertion(assertion, tokenURL(r))
	if !ok {
		writeTokenError(w, terr)
		return
	}
	tok := "ya29.standin-" + randomHex(32)
	s.mu.Lock()
	s.tokens[tok] = accessToken{email: claims.Iss, scopes: strings.Fields(claims.Scope), expiry: s.now().Add(s.tokenTTL)}
	s.issued++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}{tok, int(s.tokenTTL/time.Second) - 1, "Bearer"})
}

// tokenURL is the URL the request was sent to: the audience an assertion
// for this endpoint must name.
func tokenURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.Path
}

// verifyAssertion checks an RS256 assertion as Google does: the account
// named by iss exists, the key named by kid belongs to it and made the
// signature, aud is this endpoint, and iat/exp are at most an hour apart
// around the current time.
func (s *Server) verifyAssertion(assertion, audience string) (jwtClaims, tokenError, bool) {
	var claims jwtClaims
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return claims, invalidGrant("Invalid JWT: Failed to parse the assertion."), false
	}
	var hdr jwtHeader
	if !decodeSegment(parts[0], &hdr) || !decodeSegment(parts[1], &claims) {
		return claims, invalidGrant("Invalid JWT: Failed to parse the assertion."), false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || hdr.Alg != "RS256" {
		return claims, invalidGrant(msgBadSignature), false
	}

	s.mu.Lock()
	acct, found := s.accounts[claims.Iss]
	now := s.now()
	var keys []*rsa.PublicKey
	if found {
		for id, k := range acct.keys {
			// An expired key no longer signs, as with Google.
			if (hdr.Kid == "" || hdr.Kid == id) && now.Before(s.keyValidity(claims.Iss, id).notAfter) {
				keys = append(keys, k)
			}
		}
	}
	s.mu.Unlock()

	if !found {
		return claims, invalidGrant(msgAccountNotFound), false
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	verified := false
	for _, k := range keys {
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return claims, invalidGrant(msgBadSignature), false
	}
	if claims.Aud != audience {
		return claims, invalidGrant("Invalid JWT: Failed audience check. The right audience is " + audience), false
	}
	iat, exp := time.Unix(claims.Iat, 0), time.Unix(claims.Exp, 0)
	if claims.Iat == 0 || claims.Exp == 0 || !exp.After(iat) || exp.Sub(iat) > maxLifetime ||
		iat.After(now.Add(skew)) || !exp.After(now) {
		return claims, invalidGrant(msgTimeframe), false
	}
	if claims.Sub != "" && claims.Sub != claims.Iss {
		return claims, tokenError{http.StatusUnauthorized, "unauthorized_client", msgUnauthorized}, false
	}
	scopes := strings.Fields(claims.Scope)
	if len(scopes) == 0 {
		return claims, tokenError{http.StatusBadRequest, "invalid_scope", msgEmptyScope}, false
	}
	for _, sc := range scopes {
		if !strings.HasPrefix(sc, "https://www.googleapis.com/auth/") {
			return claims, tokenError{http.StatusBadRequest, "invalid_scope", msgInvalidScope}, false
		}
	}
	return claims, tokenError{}, true
}

func decodeSegment(seg string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	return err == nil && json.Unmarshal(b, v) == nil
}
