package httpx

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// BodyTooLargeError reports a response body over the limit. It is never
// retried: a server that sends megabytes once will do so again.
type BodyTooLargeError struct {
	Limit int64
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("response body is larger than %d bytes", e.Limit)
}

// bufferingTransport reads every response body into memory within the
// attempt, so that a body cut short is an attempt error (and retried) rather
// than a surprise for the caller after the retry loop has ended.
type bufferingTransport struct {
	next      http.RoundTripper
	userAgent string
	limit     int64
}

func (t *bufferingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.userAgent != "" {
		req = req.Clone(req.Context())
		req.Header.Set("User-Agent", t.userAgent)
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()

	body, err := io.ReadAll(io.LimitReader(resp.Body, t.limit+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read the response body: %w", err)
	}
	if int64(len(body)) > t.limit {
		return nil, &BodyTooLargeError{Limit: t.limit}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	return resp, nil
}

// ReadBody reads and closes a response body of at most limit bytes.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("failed to read the response body: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, &BodyTooLargeError{Limit: limit}
	}
	return body, nil
}

// IsRedirect reports whether resp is a redirect, which the action never
// follows: a key or token must not be sent to a place the user did not name.
func IsRedirect(resp *http.Response) bool {
	return resp.StatusCode >= 300 && resp.StatusCode < 400
}
