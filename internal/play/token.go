package play

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mos-tools/publisher-keys/internal/redact"

	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/jwt"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// Scope is the OAuth scope of the Google Play Developer API.
const Scope = "https://www.googleapis.com/auth/androidpublisher"

// TokenErrorKind classifies why no access token was obtained.
type TokenErrorKind string

// The classes of token failures.
const (
	TokenKeyInvalid       TokenErrorKind = "key-invalid"       // signature refused: key deleted or rotated
	TokenAccountNotFound  TokenErrorKind = "account-not-found" // the service account was deleted or disabled
	TokenClockSkew        TokenErrorKind = "clock-skew"        // iat/exp refused: this machine's clock is off
	TokenKeyDisabled      TokenErrorKind = "key-disabled"      // disabled_client
	TokenClientNotAllowed TokenErrorKind = "client-not-allowed"
	TokenScopeRefused     TokenErrorKind = "scope-refused"
	TokenRejected         TokenErrorKind = "rejected"    // any other refusal
	TokenUnavailable      TokenErrorKind = "unavailable" // 429 or 5xx after retries
	TokenRedirect         TokenErrorKind = "redirect"
	TokenMalformed        TokenErrorKind = "malformed" // an answer that is not a token response
	TokenNetwork          TokenErrorKind = "network"
	TokenTimeout          TokenErrorKind = "timeout"
)

// TokenError reports that Google's token endpoint gave no access token.
type TokenError struct {
	Kind        TokenErrorKind
	Status      int    // HTTP status of the answer; 0 if none came
	Code        string // the OAuth error code, e.g. invalid_grant
	Description string // Google's error_description, shortened
	ClientEmail string
	KeyID       string
	TokenURI    string
	Clock       time.Time // this machine's clock when the answer came
	Err         error     // the network cause, if any
	// CertListRead is true when Google's certificate list of the account
	// was read; CertListed then says whether it holds the key's certificate.
	CertListRead, CertListed bool
}

// KeyGone reports that Google refused the key and no longer publishes its
// certificate: the key was deleted or disabled, whatever the Kind.
func (e *TokenError) KeyGone() bool {
	return e.Code == "invalid_grant" && e.CertListRead && !e.CertListed
}

func (e *TokenError) Error() string {
	said := e.said()
	if e.KeyGone() {
		return fmt.Sprintf("Google no longer publishes the certificate of key %s: it was deleted or disabled in Google Cloud%s",
			e.KeyID, said)
	}
	switch e.Kind {
	case TokenKeyInvalid:
		if e.CertListRead && e.CertListed {
			return fmt.Sprintf("Google refused the signature made with key %s of service account %s%s, yet still publishes the key's certificate, so the key was not deleted: the JSON was edited, or the key expired or was disabled moments ago",
				e.KeyID, e.ClientEmail, said)
		}
		return fmt.Sprintf("Google refused the signature made with key %s of service account %s%s: the key was deleted or rotated in Google Cloud, or the JSON was edited",
			e.KeyID, e.ClientEmail, said)
	case TokenAccountNotFound:
		return fmt.Sprintf("Google does not know service account %s%s: it was deleted or disabled in Google Cloud",
			e.ClientEmail, said)
	case TokenClockSkew:
		return fmt.Sprintf("Google refused the times in the signed assertion%s: this machine's clock (%s) differs from Google's by minutes or more",
			said, e.Clock.UTC().Format(time.RFC3339))
	case TokenKeyDisabled:
		return fmt.Sprintf("key %s of service account %s is disabled in Google Cloud%s",
			e.KeyID, e.ClientEmail, said)
	case TokenClientNotAllowed:
		return fmt.Sprintf("Google refused service account %s%s",
			e.ClientEmail, said)
	case TokenScopeRefused:
		return fmt.Sprintf("Google refused a token for service account %s with scope %s%s",
			e.ClientEmail, Scope, said)
	case TokenUnavailable:
		return fmt.Sprintf("Google's token endpoint answered %d%s even after retries", e.Status, said)
	case TokenRedirect:
		return fmt.Sprintf("the token endpoint %s answered %d, a redirect; the action does not send a signed assertion anywhere else", host(e.TokenURI), e.Status)
	case TokenMalformed:
		if e.Status == 0 && e.Err != nil {
			return fmt.Sprintf("the token endpoint %s sent an answer that could not be read (%s)", host(e.TokenURI), netCause(e.Err))
		}
		return fmt.Sprintf("the token endpoint %s answered %d with a body that is not an OAuth token response", host(e.TokenURI), e.Status)
	case TokenNetwork:
		return fmt.Sprintf("could not reach Google's token endpoint %s: %s", host(e.TokenURI), netCause(e.Err))
	case TokenTimeout:
		return fmt.Sprintf("gave up waiting for Google's token endpoint %s: the run's time ran out", host(e.TokenURI))
	}
	if said == "" {
		said = fmt.Sprintf(" (HTTP %d)", e.Status)
	}
	return fmt.Sprintf("Google's token endpoint refused service account %s, key %s%s",
		e.ClientEmail, e.KeyID, said)
}

func (e *TokenError) Unwrap() error { return e.Err }

// said quotes what Google said, e.g. ` (invalid_grant: Invalid JWT Signature.)`.
func (e *TokenError) said() string {
	switch {
	case e.Code != "" && e.Description != "":
		return fmt.Sprintf(" (%s: %s)", e.Code, e.Description)
	case e.Code != "":
		return fmt.Sprintf(" (%s)", e.Code)
	}
	return ""
}

// token exchanges a signed assertion for an access token. Both are handed
// to Secret before they could show up anywhere.
func (c *Client) token(ctx context.Context) (string, error) {
	k := c.Key
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		return "", errors.New("failed to encode the private key")
	}
	tokenURI := k.TokenURI
	if tokenURI == "" {
		tokenURI = playkey.GoogleTokenURI
	}
	rt := &assertionTransport{ctx: ctx, next: &retryablehttp.RoundTripper{Client: c.HTTP.Labelled("Google token endpoint")}, onSecret: c.secret}
	hc := &http.Client{
		Transport: rt,
		// The retrying client returns a 3xx as is; this client must not
		// follow it either, or a 307 would re-post the assertion elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	cfg := &jwt.Config{
		Email:        k.ClientEmail,
		PrivateKey:   pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		PrivateKeyID: k.PrivateKeyID,
		Scopes:       []string{Scope},
		TokenURL:     tokenURI,
	}
	tok, err := cfg.TokenSource(context.WithValue(ctx, oauth2.HTTPClient, hc)).Token()
	base := TokenError{ClientEmail: k.ClientEmail, KeyID: k.PrivateKeyID, TokenURI: tokenURI, Clock: c.now()}
	if err != nil {
		return "", classifyTokenError(ctx, base, rt.result(), err)
	}
	if tok.AccessToken == "" {
		base.Kind, base.Status = TokenMalformed, rt.result().status
		return "", &base
	}
	c.secret(tok.AccessToken)
	return tok.AccessToken, nil
}

func classifyTokenError(ctx context.Context, e TokenError, last exchange, err error) error {
	e.Status = last.status
	var re *oauth2.RetrieveError
	switch {
	case last.err != nil:
		e.Kind, e.Err = TokenNetwork, last.err
		var tooLarge *httpx.BodyTooLargeError
		if errors.As(last.err, &tooLarge) {
			// An answer came, far too large: not a network problem.
			e.Kind = TokenMalformed
		}
		if ctx.Err() != nil || errors.Is(last.err, context.DeadlineExceeded) || errors.Is(last.err, context.Canceled) {
			e.Kind, e.Err = TokenTimeout, ctx.Err()
		}
	case errors.As(err, &re) && re.Response != nil:
		e.Status = re.Response.StatusCode
		var body struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		_ = json.Unmarshal(re.Body, &body)
		e.Code, e.Description = clean(body.Error, 40), clean(body.ErrorDescription, 240)
		e.Kind = tokenKind(e.Status, e.Code, e.Description)
	default:
		// A 2xx whose body is not a token response.
		e.Kind = TokenMalformed
	}
	return &e
}

func tokenKind(status int, code, desc string) TokenErrorKind {
	d := strings.ToLower(desc)
	switch {
	case status >= 300 && status < 400:
		return TokenRedirect
	case status == http.StatusTooManyRequests || status >= 500:
		return TokenUnavailable
	case code == "":
		return TokenMalformed
	case code == "invalid_grant" && strings.Contains(d, "signature"):
		return TokenKeyInvalid
	case code == "invalid_grant" && (strings.Contains(d, "account not found") || strings.Contains(d, "has been deleted") || strings.Contains(d, "robot is disabled")):
		return TokenAccountNotFound
	case code == "invalid_grant" && (strings.Contains(d, "short-lived") || strings.Contains(d, "reasonable timeframe") || strings.Contains(d, "iat and exp")):
		return TokenClockSkew
	case code == "disabled_client":
		return TokenKeyDisabled
	case code == "invalid_client" || code == "unauthorized_client" || code == "deleted_client" || code == "org_internal" || code == "access_denied":
		return TokenClientNotAllowed
	case code == "invalid_scope":
		return TokenScopeRefused
	}
	return TokenRejected
}

// exchange is what the transport saw of the token request.
type exchange struct {
	status int
	err    error
}

// assertionTransport binds the token request to the run's context (the jwt
// package posts without one), hands the signed assertion to onSecret before
// it is sent, and records the outcome for the error explanation.
type assertionTransport struct {
	ctx      context.Context
	next     http.RoundTripper
	onSecret func(string)

	mu   sync.Mutex
	last exchange
}

func (t *assertionTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.WithContext(t.ctx)
	if req.Body != nil {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		_ = req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("failed to read the token request: %w", err)
		}
		if form, err := url.ParseQuery(string(body)); err == nil {
			if a := form.Get("assertion"); a != "" {
				t.onSecret(a)
			}
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	}
	resp, err := t.next.RoundTrip(req)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = exchange{err: err}
	if resp != nil {
		t.last.status = resp.StatusCode
	}
	if err == nil && httpx.IsRedirect(resp) {
		// Surface the redirect as a refusal, with its status, never followed.
		return resp, nil
	}
	return resp, err
}

func (t *assertionTransport) result() exchange {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// clean shortens text from a remote answer with the action's one cleaner.
func clean(s string, limit int) string { return redact.Clean(s, limit) }

func host(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "(unknown)"
}
