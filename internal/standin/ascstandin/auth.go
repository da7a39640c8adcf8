package ascstandin

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token rules from Apple's "Generating Tokens for API Requests".
const (
	audience    = "appstoreconnect-v1"
	maxLifetime = 20 * time.Minute
	// clockSkew is how far in the future iat may lie, for clients whose clock
	// runs ahead of Apple's.
	clockSkew = 60 * time.Second
)

// rejection is why a token was refused. It names claims and key IDs, never
// the token or the signature.
type rejection string

func (r rejection) Error() string { return string(r) }

// authenticate checks the bearer token of r. It returns the key that signed
// it and true, or the key named by kid (if any) and false.
func (s *Server) authenticate(r *http.Request) (Key, bool) {
	values := r.Header.Values("Authorization")
	if len(values) != 1 {
		return Key{}, false
	}
	scheme, raw, found := strings.Cut(values[0], " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || raw == "" || strings.ContainsAny(raw, " \t") {
		return Key{}, false
	}
	tok, key, err := s.verify(raw)
	if tok != nil {
		rec := Token{Header: tok.Header}
		if c, ok := tok.Claims.(jwt.MapClaims); ok {
			rec.Claims = c
		}
		if err != nil {
			rec.Rejected = reason(err)
		}
		s.mu.Lock()
		s.last, s.seen = rec, true
		s.mu.Unlock()
	}
	return key, err == nil
}

// reason turns a verification error into one line without secrets.
func reason(err error) string {
	var rej rejection
	switch {
	case errors.As(err, &rej):
		return string(rej)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return "signature does not verify with the key's public key"
	default:
		return "token is malformed"
	}
}

// verify checks the token exactly as Apple documents it for team keys.
func (s *Server) verify(raw string) (*jwt.Token, Key, error) {
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithJSONNumber(),
		jwt.WithStrictDecoding(),
		jwt.WithoutClaimsValidation(), // checked below, to Apple's rules rather than RFC 7519's
	)
	// Decode first so that the header and claims are known even when the
	// signature is refused; the signature is checked by ParseWithClaims.
	tok, _, err := parser.ParseUnverified(raw, jwt.MapClaims{})
	if tok == nil || tok.Header == nil {
		return nil, Key{}, rejection("token is malformed")
	}
	if alg, _ := tok.Header["alg"].(string); alg != jwt.SigningMethodES256.Alg() {
		return tok, Key{}, rejection(fmt.Sprintf("header alg is %q, not ES256", alg))
	}
	if err != nil {
		return tok, Key{}, rejection("token is malformed")
	}
	if typ, ok := tok.Header["typ"]; ok && typ != "JWT" {
		return tok, Key{}, rejection("header typ is not JWT")
	}
	kid, _ := tok.Header["kid"].(string)
	s.mu.Lock()
	key, known := s.keys[kid]
	s.mu.Unlock()
	switch {
	case kid == "":
		return tok, Key{}, rejection("header kid is missing")
	case !known:
		return tok, Key{}, rejection(fmt.Sprintf("no key with kid %q", kid))
	case key.Revoked:
		return tok, key, rejection(fmt.Sprintf("key %s is revoked", kid))
	}

	claims := jwt.MapClaims{}
	verified, err := parser.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) {
		if key.Public == nil {
			return nil, rejection(fmt.Sprintf("key %s has no public key", kid))
		}
		return key.Public, nil
	})
	if err != nil {
		return tok, key, err
	}
	return verified, key, s.checkClaims(claims, key)
}

func (s *Server) checkClaims(c jwt.MapClaims, key Key) error {
	if err := checkKind(c, key); err != nil {
		return err
	}
	switch aud := c["aud"].(type) {
	case string:
		if aud != audience {
			return rejection(fmt.Sprintf("aud %q is not %q", aud, audience))
		}
	case nil:
		return rejection("aud is missing")
	default:
		return rejection("aud is not a plain string")
	}
	if scope, ok := c["scope"]; ok {
		list, ok := scope.([]any)
		if !ok {
			return rejection("scope is not a list")
		}
		for _, v := range list {
			if _, ok := v.(string); !ok {
				return rejection("scope is not a list of strings")
			}
		}
	}
	exp, err := numericDate(c, "exp")
	if err != nil {
		return err
	}
	iat, err := numericDate(c, "iat")
	if err != nil {
		return err
	}
	now := s.clock()
	switch {
	case !now.Before(exp):
		return rejection("token expired (exp is not in the future)")
	case iat.After(now.Add(clockSkew)):
		return rejection("iat is in the future")
	case !exp.After(iat):
		return rejection("exp is not after iat")
	case exp.Sub(iat) > maxLifetime:
		return rejection(fmt.Sprintf("exp − iat is %s, more than 20 minutes", exp.Sub(iat)))
	}
	return nil
}

// checkKind checks the claims that tell a team key's token from an
// individual key's: iss (the team) and no sub, or sub "user" and no iss.
// Apple refuses either kind of token signed by the other kind of key.
func checkKind(c jwt.MapClaims, key Key) error {
	iss, hasIss := c["iss"]
	sub, hasSub := c["sub"]
	if key.Individual {
		switch {
		case hasIss:
			return rejection(fmt.Sprintf("iss is present, but key %s is an individual key, whose tokens take no iss", key.KeyID))
		case sub != "user":
			return rejection(fmt.Sprintf("sub is not \"user\", as individual key %s needs", key.KeyID))
		}
		return nil
	}
	if s, _ := iss.(string); s != key.IssuerID {
		return rejection(fmt.Sprintf("iss %q is not the issuer ID of key %s", s, key.KeyID))
	}
	if hasSub {
		return rejection("sub is present, but team keys take no sub")
	}
	return nil
}

// numericDate reads a JSON number of seconds since the epoch.
func numericDate(c jwt.MapClaims, name string) (time.Time, error) {
	v, ok := c[name]
	if !ok {
		return time.Time{}, rejection(name + " is missing")
	}
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, rejection(name + " is not a number")
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, rejection(name + " is not a valid time")
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), nil
}
