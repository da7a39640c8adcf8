package play

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// concurrency bounds the packages checked at once.
const concurrency = 4

// deleteTimeout bounds the clean-up of one edit. It runs on a context of its
// own, so an edit is deleted even when the run is cancelled right after it
// was opened; it gets at most half of the time left to the run's deadline
// (see deleteEdit), so a delete that hangs leaves the rest to the upload.
const deleteTimeout = 15 * time.Second

// Client checks a service-account key against Google.
type Client struct {
	BaseURL *url.URL         // the Play API, e.g. https://androidpublisher.googleapis.com
	HTTP    *httpx.Client    // the retrying client
	Key     *playkey.Key     // the key to check; its token_uri was vetted by playkey.Parse
	Now     func() time.Time // the clock; nil means time.Now
	// Secret receives the signed assertion and the access token as soon
	// as they exist, before they could appear anywhere, so the caller can
	// register them with ::add-mask::. Nil means nobody is told.
	Secret func(string)
	// Edit selects the check of each package: false (the read check)
	// lists the production track's releases, which opens nothing; true
	// (the edit check) opens an edit and deletes it, which invalidates
	// an edit the same service account has open for that app.
	Edit bool
	// ReadOnly lists packages checked read-only whatever Edit says: those
	// only an app's mos.portal record names, never opened for an edit.
	ReadOnly map[string]bool
	// CertTransport carries the one request for the key's certificate
	// list, which has no credentials; nil means a fresh default transport.
	CertTransport http.RoundTripper
}

// Result is what the check found.
type Result struct {
	ClientEmail  string
	PrivateKeyID string
	// TokenOK is true when Google issued an access token for the key.
	TokenOK bool
	// Packages lists each package once, in the order given.
	Packages []PackageResult
	// Lifetime is what Google's certificate list says of the key.
	Lifetime Lifetime
}

// PackageResult is the outcome for one package.
type PackageResult struct {
	Package string
	// Err is nil when the production track could be read (or, with Edit,
	// an edit opened), that is the service account can see (or edit) the
	// app; else an *APIError naming the package.
	Err error
	// Warning is set when the edit could not be deleted afterwards. It
	// expires by itself; the key is fine.
	Warning string
}

// PackageNameError reports a package name that cannot be an Android
// application ID; it is refused before any request.
type PackageNameError struct {
	Package string
}

func (e *PackageNameError) Error() string {
	return fmt.Sprintf("%q is not an Android package name (%s)", e.Package, PackageNameShape)
}

// PackageNameShape says what an Android package name looks like.
const PackageNameShape = "like com.example.app: two or more dot-separated parts of letters, digits and underscores, each starting with a letter"

var editIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

var packageRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$`)

// CheckPackageName returns a *PackageNameError when p cannot be an Android
// application ID, so a caller can refuse it before any request.
func CheckPackageName(p string) error {
	if !packageRe.MatchString(p) || len(p) > 255 {
		return &PackageNameError{Package: p}
	}
	return nil
}

// Check obtains an access token for the key and, for each package, lists the
// releases of its production track (or, with Edit, opens an edit and deletes
// it again). With no packages it only proves that Google accepts the key.
// Alongside the token exchange it reads the key's lifetime from Google's
// public certificate list, which never fails the check. The error is a
// *TokenError when no token was issued, else the errors.Join of the
// packages' *APIErrors, each naming its package; Result is never nil and
// lists what was found either way.
//
// With Edit, opening an edit invalidates an open edit of the same service
// account for the same app, so it must not run while a release with this
// service account is uploading to one of the packages.
func (c *Client) Check(ctx context.Context, packages []string) (*Result, error) {
	res := &Result{}
	if c.Key == nil || c.Key.Private == nil || c.HTTP == nil || c.BaseURL == nil {
		return res, errors.New("play: client needs a key, an HTTP client and a base URL")
	}
	res.ClientEmail, res.PrivateKeyID = c.Key.ClientEmail, c.Key.PrivateKeyID

	var bad []error
	var pkgs []string
	seen := map[string]bool{}
	for _, p := range packages {
		if err := CheckPackageName(p); err != nil {
			bad = append(bad, err)
			continue
		}
		if !seen[p] {
			seen[p] = true
			pkgs = append(pkgs, p)
		}
	}
	if len(bad) > 0 {
		return res, errors.Join(bad...)
	}

	// The certificate list is read while the token is exchanged: both
	// take one round trip, and the list is bounded by CertTimeout.
	life := make(chan Lifetime, 1)
	go func() { life <- c.lifetime(ctx) }()
	tok, err := c.token(ctx)
	if err != nil {
		res.Lifetime = <-life
		var te *TokenError
		if errors.As(err, &te) {
			te.CertListRead, te.CertListed = res.Lifetime.Read, res.Lifetime.Listed
		}
		return res, err
	}
	res.TokenOK = true
	defer func() { res.Lifetime = <-life }()

	res.Packages = make([]PackageResult, len(pkgs))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, p := range pkgs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res.Packages[i] = c.checkPackage(ctx, tok, p)
		})
	}
	wg.Wait()
	var errs []error
	for _, p := range res.Packages {
		if p.Err != nil {
			errs = append(errs, p.Err)
		}
	}
	return res, errors.Join(errs...)
}

func (c *Client) checkPackage(ctx context.Context, tok, pkg string) (res PackageResult) {
	res.Package = pkg
	if !c.Edit || c.ReadOnly[pkg] {
		res.Err = c.readTrack(ctx, tok, pkg)
		return res
	}
	ed, err := c.insertEdit(ctx, tok, pkg)
	if err != nil {
		res.Err = err
		return res
	}
	// Whatever happens from here on, the edit is deleted again.
	defer func() { res.Warning = c.deleteEdit(ctx, tok, pkg, ed) }()
	return res
}

type appEdit struct {
	ID                string `json:"id"`
	ExpiryTimeSeconds string `json:"expiryTimeSeconds"`
}

func (c *Client) editsURL(pkg string, id ...string) string {
	elems := append([]string{"androidpublisher", "v3", "applications", pkg, "edits"}, id...)
	return c.BaseURL.JoinPath(elems...).String()
}

// readTrack lists the releases of pkg's production track: GET
// …/applications/{pkg}/tracks/production/releases. A 200, with or without
// releases, shows the API enabled, the package there and visible to the
// service account; it opens nothing.
func (c *Client) readTrack(ctx context.Context, tok, pkg string) error {
	u := c.BaseURL.JoinPath("androidpublisher", "v3", "applications", pkg, "tracks", "production", "releases").String()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("failed to build the request for %s: %w", pkg, err)
	}
	setHeaders(req, tok)
	resp, err := c.HTTP.Labelled("Google Play GET " + url.PathEscape(pkg) + "/tracks/production/releases").Do(req)
	if err != nil {
		e := &APIError{Kind: APINetwork, Read: true, Package: pkg, ClientEmail: c.Key.ClientEmail, Err: err}
		var tooLarge *httpx.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			e.Kind = APIMalformed
		}
		if ctx.Err() != nil {
			e.Kind, e.Err = APITimeout, ctx.Err()
		}
		return e
	}
	body, err := httpx.ReadBody(resp, httpx.MaxBody)
	if err != nil {
		return &APIError{Kind: APIMalformed, Read: true, Package: pkg, Status: resp.StatusCode, ClientEmail: c.Key.ClientEmail, Err: err}
	}
	switch {
	case httpx.IsRedirect(resp):
		return &APIError{Kind: APIRedirect, Read: true, Package: pkg, Status: resp.StatusCode, ClientEmail: c.Key.ClientEmail}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		if tok != "" {
			body = bytes.ReplaceAll(body, []byte(tok), []byte("[redacted]"))
		}
		e := c.apiErrorFrom(pkg, resp.StatusCode, body)
		e.Read = true
		return e
	}
	var list struct {
		Releases []json.RawMessage `json:"releases"`
	}
	if json.Unmarshal(body, &list) != nil {
		return &APIError{Kind: APIMalformed, Read: true, Package: pkg, Status: resp.StatusCode, ClientEmail: c.Key.ClientEmail}
	}
	return nil
}

// insertEdit opens an edit of pkg: POST …/applications/{pkg}/edits.
func (c *Client) insertEdit(ctx context.Context, tok, pkg string) (appEdit, error) {
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, c.editsURL(pkg), []byte("{}"))
	if err != nil {
		return appEdit{}, fmt.Errorf("failed to build the request for %s: %w", pkg, err)
	}
	setHeaders(req, tok)
	resp, err := c.HTTP.Labelled("Google Play POST " + url.PathEscape(pkg) + "/edits").Do(req)
	if err != nil {
		e := &APIError{Kind: APINetwork, Package: pkg, ClientEmail: c.Key.ClientEmail, Err: err}
		var tooLarge *httpx.BodyTooLargeError
		if errors.As(err, &tooLarge) {
			// An answer came, far too large: not a network problem.
			e.Kind = APIMalformed
		}
		if ctx.Err() != nil {
			e.Kind, e.Err = APITimeout, ctx.Err()
		}
		return appEdit{}, e
	}
	body, err := httpx.ReadBody(resp, httpx.MaxBody)
	if err != nil {
		return appEdit{}, &APIError{Kind: APIMalformed, Package: pkg, Status: resp.StatusCode, ClientEmail: c.Key.ClientEmail, Err: err}
	}
	switch {
	case httpx.IsRedirect(resp):
		return appEdit{}, &APIError{Kind: APIRedirect, Package: pkg, Status: resp.StatusCode, ClientEmail: c.Key.ClientEmail}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		if tok != "" {
			// Google never quotes the access token, but a proxy might.
			body = bytes.ReplaceAll(body, []byte(tok), []byte("[redacted]"))
		}
		return appEdit{}, c.apiErrorFrom(pkg, resp.StatusCode, body)
	}
	var ed appEdit
	// The ID goes into the delete URL: only what Google's IDs are made of.
	if json.Unmarshal(body, &ed) != nil || !editIDRe.MatchString(ed.ID) {
		return appEdit{}, &APIError{Kind: APIMalformed, Package: pkg, Status: resp.StatusCode, ClientEmail: c.Key.ClientEmail}
	}
	return ed, nil
}

// deleteEdit deletes the edit on a fresh short context, so it also runs
// when ctx is cancelled. It takes at most half of the time left before
// ctx's deadline: the edit is only clean-up (Google discards it within the
// hour), so a delete that hangs must neither hold the run beyond its
// timeout nor starve the mos.portal upload that follows the check. It
// returns a warning when the edit may still be open.
func (c *Client) deleteEdit(ctx context.Context, tok, pkg string, ed appEdit) string {
	budget := deleteTimeout
	if deadline, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(deadline)/2)
	}
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), budget)
	defer cancel()
	warn := func(why string) string {
		expiry := "within the hour"
		if secs, err := strconv.ParseInt(ed.ExpiryTimeSeconds, 10, 64); err == nil {
			expiry = "at " + time.Unix(secs, 0).UTC().Format(time.RFC3339)
		}
		return fmt.Sprintf("The edit opened to check %s could not be deleted (%s); Google discards it %s. A release with this service account started before then must open a new edit.", pkg, why, expiry)
	}
	req, err := retryablehttp.NewRequestWithContext(dctx, http.MethodDelete, c.editsURL(pkg, ed.ID), nil)
	if err != nil {
		return warn("the request could not be built")
	}
	setHeaders(req, tok)
	resp, err := c.HTTP.Labelled("Google Play DELETE " + url.PathEscape(pkg) + "/edits").Do(req)
	if err != nil {
		return warn("no answer: " + netCause(err))
	}
	body, _ := httpx.ReadBody(resp, httpx.MaxBody)
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		return ""
	case resp.StatusCode == http.StatusNotFound:
		return "" // already gone
	case resp.StatusCode == http.StatusBadRequest:
		var g googleError
		if json.Unmarshal(body, &g) == nil && containsFold(g.Error.Message, "has been deleted") {
			return "" // invalidated by a newer edit: gone as well
		}
	}
	return warn(fmt.Sprintf("HTTP %d", resp.StatusCode))
}

func setHeaders(req *retryablehttp.Request, tok string) {
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if req.Method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
	}
}

func (c *Client) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Client) secret(s string) {
	if c.Secret != nil && s != "" {
		c.Secret(s)
	}
}
