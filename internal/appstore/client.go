package appstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/version"
)

// DefaultBaseURL is App Store Connect's API host, the default base URL.
const DefaultBaseURL = "https://api.appstoreconnect.apple.com"

const (
	// pageLimit is the largest limit /v1/apps accepts, and so the number of
	// bundle IDs asked about in one request.
	pageLimit = 200
	// maxPages bounds how many links.next a check follows. The filter can
	// match more apps than asked for (prefix matches), so an exact match may
	// land on a later page; a few pages are plenty.
	maxPages = 5
)

// Client asks App Store Connect whether a key works.
type Client struct {
	BaseURL *url.URL      // e.g. from httpx.ParseBaseURL
	HTTP    *httpx.Client // nil: NewHTTPClient(nil)
	Signer  *Signer
	// Secret, if set, is handed every token Check signs (the team token,
	// and the individual-key token of a 401's second look) before it is
	// sent, so the caller can mask it before it could show up anywhere.
	Secret func(token string)
}

func (c *Client) secret(token string) {
	if c.Secret != nil {
		c.Secret(token)
	}
}

// NewHTTPClient is the retrying client for App Store Connect, with the
// action's User-Agent; log, if not nil, receives one line per retry.
func NewHTTPClient(log func(string)) *httpx.Client {
	return httpx.New(httpx.Config{Service: "App Store Connect", UserAgent: version.UserAgent(), Log: log})
}

// Check is what a successful check found.
type Check struct {
	// BundleIDs are the bundle IDs the key can see: those asked for that
	// exist, in the order asked, or, when none were asked for, the one app
	// (if any) of the single-app listing.
	BundleIDs []string
	// RateLimit is the X-Rate-Limit header of the last answer.
	RateLimit string
}

// Check proves the key works with GET /v1/apps and, when bundleIDs are
// given, that it can see an app for each of them. One request when all goes
// well (per 200 bundle IDs). Errors are *APIError, *AgreementError,
// *NetworkError, *ResponseError, *BundleIDError or *BundleIDsNotVisibleError,
// and after a 401 *ClockError or *IndividualKeyError (see explain401); with
// *BundleIDsNotVisibleError the *Check is returned too, since the key itself
// authenticated. A failed check makes at most one request more than a
// passing one.
func (c *Client) Check(ctx context.Context, bundleIDs []string) (*Check, error) {
	ids, err := uniqueBundleIDs(bundleIDs)
	if err != nil {
		return nil, err
	}
	if c.BaseURL == nil || c.Signer == nil {
		return nil, errors.New("appstore client needs a base URL and a signer")
	}
	token, err := c.Signer.Token()
	if err != nil {
		return nil, err
	}
	c.secret(token)
	apps := c.BaseURL.JoinPath("v1", "apps")

	if len(ids) == 0 {
		u := *apps
		u.RawQuery = url.Values{"limit": {"1"}, "fields[apps]": {"bundleId"}}.Encode()
		p, err := c.get(ctx, token, &u)
		if err != nil {
			return nil, c.explain401(ctx, err)
		}
		return &Check{BundleIDs: p.bundleIDs, RateLimit: p.rateLimit}, nil
	}

	check := &Check{}
	seen := make(map[string]bool, len(ids))
	for chunk := range slices.Chunk(ids, pageLimit) {
		u := *apps
		u.RawQuery = url.Values{
			"filter[bundleId]": {strings.Join(chunk, ",")},
			"fields[apps]":     {"bundleId"},
			"limit":            {strconv.Itoa(pageLimit)},
		}.Encode()
		next := &u
		for page := 1; next != nil; page++ {
			p, err := c.get(ctx, token, next)
			if err != nil {
				return nil, c.explain401(ctx, err)
			}
			check.RateLimit = p.rateLimit
			// Compare exactly: the filter may also return apps whose bundle
			// ID merely starts with one asked for.
			for _, id := range p.bundleIDs {
				seen[id] = true
			}
			next = nil
			if p.next != "" && page < maxPages && slices.ContainsFunc(chunk, func(id string) bool { return !seen[id] }) {
				if next, err = c.sameOrigin(p.next); err != nil {
					return nil, err
				}
			}
		}
	}
	var missing []string
	for _, id := range ids {
		if seen[id] {
			check.BundleIDs = append(check.BundleIDs, id)
		} else {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return check, &BundleIDsNotVisibleError{Missing: missing, KeyID: c.Signer.KeyID, NoneVisible: len(check.BundleIDs) == 0}
	}
	return check, nil
}

// page is what one answer of GET /v1/apps told.
type page struct {
	bundleIDs []string
	next      string
	rateLimit string
}

// appsResponse is the part of Apple's AppsResponse the check reads.
type appsResponse struct {
	Data *[]struct {
		Type       string `json:"type"`
		Attributes struct {
			BundleID string `json:"bundleId"`
		} `json:"attributes"`
	} `json:"data"`
	Links struct {
		Next string `json:"next"`
	} `json:"links"`
}

func (c *Client) get(ctx context.Context, token string, u *url.URL) (*page, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("failed to build the App Store Connect request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", version.UserAgent())

	hc := c.HTTP
	if hc == nil {
		hc = NewHTTPClient(nil)
	}
	// Retry lines name the request, never its query: "App Store Connect GET /v1/apps".
	resp, err := hc.Labelled("App Store Connect GET /" + strings.TrimPrefix(u.EscapedPath(), "/")).Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, c.transportError(err)
	}
	status := resp.StatusCode
	body, err := httpx.ReadBody(resp, httpx.MaxBody)
	if err != nil {
		return nil, c.transportError(err)
	}
	rateLimit := resp.Header.Get("X-Rate-Limit")

	if status < 200 || status > 299 {
		e := &APIError{Status: status, RateLimit: rateLimit, KeyID: c.Signer.KeyID, IssuerID: c.Signer.IssuerID}
		if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
			e.Date = d
		}
		if !httpx.IsRedirect(resp) {
			e.Errors = redact(decodeErrors(body), token)
		}
		return nil, classify(e)
	}
	p, err := decodeApps(status, body)
	if err != nil {
		return nil, err
	}
	p.rateLimit = rateLimit
	return p, nil
}

// decodeErrors reads Apple's errors[] from an error body; anything else
// (an HTML page from a proxy, say) yields none.
func decodeErrors(body []byte) []ErrorObject {
	var eb struct {
		Errors []ErrorObject `json:"errors"`
	}
	if json.Unmarshal(body, &eb) != nil {
		return nil
	}
	return eb.Errors
}

// decodeApps reads the bundle IDs and next-page link of an apps listing.
func decodeApps(status int, body []byte) (*page, error) {
	var ar appsResponse
	if err := json.Unmarshal(body, &ar); err != nil {
		// The decoder's message may quote the body: describe, do not echo.
		return nil, &ResponseError{Status: status, Problem: "a body that is not the expected JSON"}
	}
	if ar.Data == nil {
		return nil, &ResponseError{Status: status, Problem: "JSON without the data array of an apps listing"}
	}
	p := &page{next: ar.Links.Next}
	for _, app := range *ar.Data {
		if app.Attributes.BundleID != "" {
			p.bundleIDs = append(p.bundleIDs, app.Attributes.BundleID)
		}
	}
	return p, nil
}

func (c *Client) transportError(err error) error {
	var tooLarge *httpx.BodyTooLargeError
	if errors.As(err, &tooLarge) {
		return &ResponseError{Status: http.StatusOK, Problem: fmt.Sprintf("a body larger than %d bytes", tooLarge.Limit)}
	}
	return &NetworkError{Host: c.BaseURL.Host, Err: err}
}

// sameOrigin accepts a links.next URL only on the scheme and host the user
// named: the token goes nowhere else.
func (c *Client) sameOrigin(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != c.BaseURL.Scheme || u.Host != c.BaseURL.Host {
		return nil, &ResponseError{Status: http.StatusOK, Problem: "a next-page link to another location"}
	}
	return u, nil
}

// redact removes the token from Apple's error texts, should a server ever
// echo it: no message may carry it.
func redact(objs []ErrorObject, token string) []ErrorObject {
	if token == "" {
		return objs
	}
	r := strings.NewReplacer(token, "[token]")
	for i := range objs {
		o := &objs[i]
		o.ID, o.Status, o.Code = r.Replace(o.ID), r.Replace(o.Status), r.Replace(o.Code)
		o.Title, o.Detail = r.Replace(o.Title), r.Replace(o.Detail)
	}
	return objs
}

// uniqueBundleIDs validates ids and drops empty values and repeats, keeping
// the order given.
func uniqueBundleIDs(ids []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		id = strings.TrimSpace(id)
		if id == "" || seen[id] {
			continue
		}
		if err := CheckBundleID(id); err != nil {
			return nil, err
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, nil
}

// CheckBundleID reports whether id can be a bundle ID: letters, digits,
// hyphens and periods (so also never a comma, which would split the filter).
func CheckBundleID(id string) error {
	if id == "" {
		return &BundleIDError{ID: id, Reason: "is empty"}
	}
	if len(id) > 255 {
		return &BundleIDError{ID: id, Reason: "is longer than a bundle ID can be"}
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return &BundleIDError{ID: id, Reason: fmt.Sprintf("contains %q; a bundle ID has only letters, digits, hyphens and periods", r)}
		}
	}
	return nil
}
