// Package httpx is the one HTTP client configuration shared by every service
// the action talks to (App Store Connect, Google, mos.portal): retries with
// capped, jittered exponential backoff that honour Retry-After, no redirects,
// bounded response bodies and per-attempt timeouts.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// MaxBody is the largest response body any client of the action reads. The
// largest legitimate answer (200 apps from App Store Connect with one sparse
// field) is a few tens of kilobytes.
const MaxBody = 1 << 20

// Config configures New. The zero value is usable.
type Config struct {
	// Service names the remote side in log lines, e.g. "App Store Connect".
	Service string
	// UserAgent is set on every request.
	UserAgent string
	// RetryMax is the number of retries after the first attempt (default 4).
	RetryMax int
	// WaitMin and WaitMax bound the exponential backoff (default 250ms, 5s).
	WaitMin, WaitMax time.Duration
	// AttemptTimeout bounds one attempt, body included (default 30s). The
	// request's context deadline bounds the whole exchange as well.
	AttemptTimeout time.Duration
	// Transport is the underlying transport (default: a fresh pooled one).
	Transport http.RoundTripper
	// Log, if set, receives one line per retry. Lines carry no URL query or
	// header, so they never contain a secret.
	Log func(msg string)
	// Now is the clock for HTTP-date Retry-After values (default time.Now).
	Now func() time.Time
}

// New returns a retrying client configured for the action:
//   - network errors, truncated bodies, 429 and 5xx other than 501 are
//     retried; other statuses are returned at once;
//   - Retry-After (seconds or HTTP-date) is honoured; when it points past the
//     request's deadline the client stops and returns that response;
//   - redirects are never followed: a 3xx is returned as is;
//   - when retries run out, the last response is returned (not an error), so
//     callers can build their typed error from status and body; an error is
//     returned only when no response was received at all;
//   - bodies are read into memory inside each attempt, up to MaxBody, so a
//     connection dropped mid-body is retried like any network error.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()

	transport := &bufferingTransport{next: cfg.Transport, userAgent: cfg.UserAgent, limit: MaxBody}
	c := &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: transport,
			Timeout:   cfg.AttemptTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		Logger:       nil, // its lines carry URLs; ours are written by Backoff below
		RetryWaitMin: cfg.WaitMin,
		RetryWaitMax: cfg.WaitMax,
		RetryMax:     cfg.RetryMax,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	c.CheckRetry = func(ctx context.Context, resp *http.Response, err error) (bool, error) {
		return checkRetry(ctx, cfg.Now, resp, err)
	}
	c.Backoff = cfg.backoff(cfg.Service)
	return &Client{Client: c, cfg: cfg}
}

// Client is a retrying client made by New: its retry lines name the
// service, or with Labelled the request. Use it as the retryablehttp.Client
// it embeds; it keeps its Config so that Labelled can log like it.
type Client struct {
	*retryablehttp.Client
	cfg Config
}

// Labelled returns a client like c whose retry lines name label instead of
// the service alone: the service, the request and, where there is one, the
// app, such as "mos.portal GET weather/ios" or "App Store Connect GET
// /v1/apps". A label must hold no URL query and no secret. Each client
// labels its requests with one call; the copy shares c's connections.
func (c *Client) Labelled(label string) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:      c.HTTPClient,
		Logger:          c.Logger,
		RetryWaitMin:    c.RetryWaitMin,
		RetryWaitMax:    c.RetryWaitMax,
		RetryMax:        c.RetryMax,
		RequestLogHook:  c.RequestLogHook,
		ResponseLogHook: c.ResponseLogHook,
		CheckRetry:      c.CheckRetry,
		Backoff:         c.cfg.backoff(label),
		ErrorHandler:    c.ErrorHandler,
		PrepareRetry:    c.PrepareRetry,
	}
}

// backoff waits as documented on New and logs one line per retry, naming
// subject, the status code (never the reason phrase, which the server
// chooses) and the wait.
func (cfg Config) backoff(subject string) retryablehttp.Backoff {
	return func(minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
		wait := backoff(cfg.Now, minWait, maxWait, attempt, resp)
		if cfg.Log != nil {
			cfg.Log(fmt.Sprintf("%s: %s; retry %d of %d in %s",
				subject, describe(resp), attempt+1, cfg.RetryMax, wait.Round(10*time.Millisecond)))
		}
		return wait
	}
}

func (cfg Config) withDefaults() Config {
	if cfg.Service == "" {
		cfg.Service = "the server"
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 4
	}
	if cfg.WaitMin <= 0 {
		cfg.WaitMin = 250 * time.Millisecond
	}
	if cfg.WaitMax <= 0 {
		cfg.WaitMax = 5 * time.Second
	}
	if cfg.WaitMax < cfg.WaitMin {
		cfg.WaitMax = cfg.WaitMin
	}
	if cfg.AttemptTimeout <= 0 {
		cfg.AttemptTimeout = 30 * time.Second
	}
	if cfg.Transport == nil {
		cfg.Transport = cleanhttp.DefaultPooledTransport()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

func describe(resp *http.Response) string {
	if resp == nil {
		return "did not answer"
	}
	return "answered " + strconv.Itoa(resp.StatusCode)
}

// Retryable reports whether a response status is worth another attempt.
func Retryable(status int) bool {
	return status == http.StatusTooManyRequests || (status >= 500 && status != http.StatusNotImplemented)
}

func checkRetry(ctx context.Context, now func() time.Time, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		var tooLarge *BodyTooLargeError
		if errors.As(err, &tooLarge) {
			return false, err
		}
		// Connection refused, reset, timeouts and bodies cut short: all
		// worth another try within the deadline.
		return true, nil
	}
	if !Retryable(resp.StatusCode) {
		return false, nil
	}
	if wait, ok := retryAfter(now, resp); ok {
		// A context deadline is on the real clock, whatever now is: compare
		// the wait with the real time left, not with now()+wait.
		if deadline, has := ctx.Deadline(); has && wait > time.Until(deadline) {
			// Waiting would only run into the deadline: report the answer now.
			return false, nil
		}
	}
	return true, nil
}

func backoff(now func() time.Time, minWait, maxWait time.Duration, attempt int, resp *http.Response) time.Duration {
	if wait, ok := retryAfter(now, resp); ok {
		return wait
	}
	ceiling := minWait << min(attempt, 16)
	if ceiling <= 0 || ceiling > maxWait {
		ceiling = maxWait
	}
	// Equal jitter: never less than half the ceiling, so a burst of clients
	// spreads out without any of them hammering the server.
	half := ceiling / 2
	return half + rand.N(half+1)
}

// retryAfter reads a Retry-After header given in seconds or as an HTTP-date.
func retryAfter(now func() time.Time, resp *http.Response) (time.Duration, bool) {
	if resp == nil {
		return 0, false
	}
	v := resp.Header.Get("Retry-After")
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(at.Sub(now()), 0), true
	}
	return 0, false
}
