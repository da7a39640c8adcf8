package appstore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// maxIatAhead is how far in the future Apple lets a token's iat lie.
const maxIatAhead = 60 * time.Second

// explain401 tells apart the causes of a 401 that can be told apart for
// certain. err is what a request with the team token got; anything but a
// 401 is returned as it is.
//
//   - The runner's clock: by the Date of Apple's answer, the token was not
//     yet or no longer valid. A *ClockError, without another request.
//   - An individual key: one more request, GET /v1/apps?limit=1, with the
//     token an individual key would use. If App Store Connect takes it
//     (anything but 401; a 403 too), an *IndividualKeyError.
//
// Otherwise err is returned, whose message leads with the likely causes.
func (c *Client) explain401(ctx context.Context, err error) error {
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		return err
	}
	if ce := c.clockError(apiErr); ce != nil {
		return ce
	}
	token, terr := c.Signer.IndividualToken()
	if terr != nil {
		return err
	}
	c.secret(token)
	u := c.BaseURL.JoinPath("v1", "apps")
	u.RawQuery = url.Values{"limit": {"1"}}.Encode()
	if _, second := c.get(ctx, token, u); authenticated(second) {
		return &IndividualKeyError{KeyID: c.Signer.KeyID, API: apiErr}
	}
	// Still 401, or no answer that says anything: the first answer stands.
	return err
}

// authenticated reports whether the outcome of a request shows that App
// Store Connect took its token: a success (also one whose body was not as
// expected) or a refusal other than 401 (a 403 too: the token was verified
// before the role was judged). No answer, a redirect, 429 or 5xx say nothing
// either way.
func authenticated(err error) bool {
	var (
		e    *APIError
		resp *ResponseError
	)
	switch {
	case err == nil:
		return true
	case errors.As(err, &resp):
		return resp.Status >= 200 && resp.Status < 300
	case errors.As(err, &e):
		return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusUnauthorized && e.Status != http.StatusTooManyRequests
	}
	return false
}

// clockError returns a *ClockError when, by Apple's Date, the team token's
// iat lay more than a minute ahead or its exp had passed, else nil. A runner
// a little behind Apple still signs a token Apple accepts, so a difference
// alone is not the cause.
func (c *Client) clockError(e *APIError) *ClockError {
	if e.Date.IsZero() {
		return nil
	}
	iat, exp := c.Signer.Times()
	if iat.IsZero() {
		return nil
	}
	if !iat.After(e.Date.Add(maxIatAhead)) && e.Date.Before(exp) {
		return nil
	}
	now := time.Now
	if c.Signer.Now != nil {
		now = c.Signer.Now
	}
	// Date has whole seconds: compare it with the runner's time cut alike,
	// so a whole-second offset shows as itself.
	return &ClockError{Offset: e.Date.Sub(now().Truncate(time.Second)), KeyID: e.KeyID, AppleTime: e.Date}
}

// ClockError reports that the runner's clock is so far off Apple's that the
// token was refused for its times alone: the key was not judged.
type ClockError struct {
	// Offset is Apple's clock minus the runner's: positive when the runner
	// is behind.
	Offset    time.Duration
	KeyID     string
	AppleTime time.Time // the Date of Apple's answer
}

func (e *ClockError) Error() string {
	return fmt.Sprintf("the runner's clock is %s %s App Store Connect's (its answer was dated %s); "+
		"App Store Connect refused the token of key %s for its times alone",
		e.Amount(), e.Direction(), e.AppleTime.UTC().Format(time.RFC3339), e.KeyID)
}

// Amount is the offset, unsigned, to the second: "10 min 2 s".
func (e *ClockError) Amount() string { return approx(e.Offset.Abs()) }

// Direction is "behind" or "ahead of": where the runner's clock is.
func (e *ClockError) Direction() string {
	if e.Offset < 0 {
		return "ahead of"
	}
	return "behind"
}

// approx renders d to the second: "10 min 2 s", "45 s", "3 h 5 min".
func approx(d time.Duration) string {
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%d h %d min", h, m)
	case m > 0:
		return fmt.Sprintf("%d min %d s", m, s)
	default:
		return fmt.Sprintf("%d s", s)
	}
}

// IndividualKeyError reports a key that App Store Connect accepts as an
// individual API key: mos.publisher needs a team key.
type IndividualKeyError struct {
	KeyID string
	API   *APIError // the 401 of the team token
}

func (e *IndividualKeyError) Unwrap() error { return e.API }

func (e *IndividualKeyError) Error() string {
	return fmt.Sprintf("key %s is an individual API key: App Store Connect accepts it with an individual key's token "+
		"and refuses it as a team key (%s)", e.KeyID, e.API.StatusCode("NOT_AUTHORIZED"))
}
