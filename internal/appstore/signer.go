package appstore

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// Audience is the aud claim App Store Connect requires.
	Audience = "appstoreconnect-v1"
	// Backdate is how far iat lies in the past, so that a runner whose clock
	// runs a little ahead of Apple's still gets accepted (Apple allows up to 60 s).
	Backdate = 30 * time.Second
	// Lifetime is exp − iat. Apple rejects more than 20 minutes; shorter is safer.
	Lifetime = 10 * time.Minute
	// renewBefore is how long before exp a cached token is replaced, so a
	// request never leaves with a token about to expire in flight.
	renewBefore = time.Minute
)

// Signer makes the bearer token for App Store Connect API requests. It signs
// once and hands out the same token until shortly before it expires, so a run
// uses one token. Safe for concurrent use; do not copy after first use.
type Signer struct {
	KeyID    string
	IssuerID string
	Key      *ecdsa.PrivateKey
	Now      func() time.Time // nil means time.Now

	mu    sync.Mutex
	token string
	iat   time.Time
	exp   time.Time
}

// claims is the JWT payload exactly as Apple documents it for team keys. A
// struct of its own (rather than jwt.RegisteredClaims) keeps aud a plain
// string whatever jwt.MarshalSingleStringAsArray says, and leaves out sub.
type claims struct {
	Issuer    string `json:"iss"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	Audience  string `json:"aud"`
}

func (c claims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}
func (c claims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}
func (c claims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (c claims) GetIssuer() (string, error)              { return c.Issuer, nil }
func (c claims) GetSubject() (string, error)             { return "", nil }
func (c claims) GetAudience() (jwt.ClaimStrings, error)  { return jwt.ClaimStrings{c.Audience}, nil }

// Token returns the signed JWT, signing it on first use.
func (s *Signer) Token() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	t := now()
	if s.token != "" && t.Before(s.exp.Add(-renewBefore)) {
		return s.token, nil
	}
	if err := s.check(); err != nil {
		return "", err
	}
	iat := t.Add(-Backdate).Truncate(time.Second)
	exp := iat.Add(Lifetime)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, claims{
		Issuer:    s.IssuerID,
		IssuedAt:  iat.Unix(),
		ExpiresAt: exp.Unix(),
		Audience:  Audience,
	})
	tok.Header["kid"] = s.KeyID
	signed, err := tok.SignedString(s.Key)
	if err != nil {
		// jwt's signing errors name the key type at most, never the key.
		return "", fmt.Errorf("failed to sign the App Store Connect token: %w", err)
	}
	s.token, s.iat, s.exp = signed, iat, exp
	return signed, nil
}

// Times returns the iat and exp of the token Token last returned (zero
// before the first): what to hold against the Date of Apple's answer.
func (s *Signer) Times() (iat, exp time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.iat, s.exp
}

// individualClaims is the JWT payload Apple documents for individual keys:
// sub "user" and no iss. mos. does not support individual keys; the token
// only asks App Store Connect whether the key is one (see Client.Check).
type individualClaims struct {
	Subject   string `json:"sub"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
	Audience  string `json:"aud"`
}

func (c individualClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}
func (c individualClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}
func (c individualClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (c individualClaims) GetIssuer() (string, error)              { return "", nil }
func (c individualClaims) GetSubject() (string, error)             { return c.Subject, nil }
func (c individualClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{c.Audience}, nil
}

// IndividualToken signs, with the same key and kid, the token an individual
// key would use. It is not cached: it is made at most once a run.
func (s *Signer) IndividualToken() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if err := s.check(); err != nil {
		return "", err
	}
	iat := now().Add(-Backdate).Truncate(time.Second)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, individualClaims{
		Subject:   "user",
		IssuedAt:  iat.Unix(),
		ExpiresAt: iat.Add(Lifetime).Unix(),
		Audience:  Audience,
	})
	tok.Header["kid"] = s.KeyID
	signed, err := tok.SignedString(s.Key)
	if err != nil {
		return "", fmt.Errorf("failed to sign the App Store Connect token: %w", err)
	}
	return signed, nil
}

func (s *Signer) check() error {
	switch {
	case s.Key == nil:
		return errors.New("no private key to sign the App Store Connect token with")
	case s.Key.Curve != elliptic.P256():
		return errors.New("the App Store Connect key is not a P-256 key; ES256 needs one")
	case s.KeyID == "":
		return errors.New("no Key ID for the App Store Connect token")
	case s.IssuerID == "":
		return errors.New("no Issuer ID for the App Store Connect token")
	}
	return nil
}
