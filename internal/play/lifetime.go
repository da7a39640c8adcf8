package play

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-cleanhttp"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// GoogleCertPrefix is where Google publishes the public certificates of a
// service account's keys: this prefix and the path-escaped client e-mail.
const GoogleCertPrefix = "https://www.googleapis.com/robot/v1/metadata/x509/"

// CertTimeout bounds the read of the certificate list. The list only tells
// the key's lifetime: it must never hold up the check, so it also gets at
// most half of the time left to the run's deadline, leaving the rest to the
// mos.portal upload that follows the check.
const CertTimeout = 5 * time.Second

// maxCertBody bounds the certificate list read: a service account has at
// most 10 keys, about 1.5 KB each.
const maxCertBody = 64 << 10

// Lifetime is what Google's certificate list says of the key.
type Lifetime struct {
	// Read is true when the list was read: Listed then says whether it
	// holds the key's certificate.
	Read, Listed bool
	// Created and Expires are the certificate's notBefore and notAfter,
	// when Listed; Expires is zero when the key never expires.
	Created, Expires time.Time
	// Unknown says why the lifetime is unknown; empty when Listed.
	Unknown string
}

// Known reports whether the key's lifetime was read.
func (l Lifetime) Known() bool { return l.Read && l.Listed }

// CertListURL is the URL the action requests for the key's certificates:
// client_x509_cert_url when it is Google's list of client_email or a
// loopback URL (tests, sandbox), Google's list when the key file has none.
// Any other URL is refused: a crafted key file must not make the run call
// out to a place of its choosing.
func CertListURL(k *playkey.Key) (string, error) {
	escaped := url.PathEscape(k.ClientEmail) // keeps the @
	if k.CertURL == "" {
		return GoogleCertPrefix + strings.ReplaceAll(escaped, "@", "%40"), nil
	}
	if rest, ok := strings.CutPrefix(k.CertURL, GoogleCertPrefix); ok {
		if rest == escaped || rest == strings.ReplaceAll(escaped, "@", "%40") {
			return k.CertURL, nil
		}
		return "", errors.New("the key file's client_x509_cert_url names another service account than its client_email, so it was not requested")
	}
	u, err := url.Parse(k.CertURL)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.User == nil && u.Fragment == "" &&
		u.Opaque == "" && u.Host != "" && httpx.IsLoopbackHost(u.Hostname()) {
		return k.CertURL, nil
	}
	return "", errors.New("the key file's client_x509_cert_url is not Google's certificate list of its client_email, so it was not requested")
}

// lifetime reads the key's certificate from Google's public list. It sends
// no credentials, takes at most CertTimeout, and never fails: a list that
// cannot be read leaves the lifetime unknown, with the reason.
func (c *Client) lifetime(ctx context.Context) Lifetime {
	target, err := CertListURL(c.Key)
	if err != nil {
		return Lifetime{Unknown: err.Error()}
	}
	budget := CertTimeout
	if deadline, ok := ctx.Deadline(); ok {
		budget = min(budget, time.Until(deadline)/2)
	}
	ctx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return Lifetime{Unknown: "the certificate list's URL is not valid"}
	}
	req.Header.Set("Accept", "application/json")
	hc := &http.Client{
		Transport: c.CertTransport,
		// Never follow: the list is at the URL vetted above or nowhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if hc.Transport == nil {
		hc.Transport = cleanhttp.DefaultTransport()
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Lifetime{Unknown: fmt.Sprintf("the certificate list did not answer within %s", budget.Round(time.Millisecond))}
		}
		return Lifetime{Unknown: "the certificate list could not be read: " + netCause(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxCertBody+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return Lifetime{Unknown: fmt.Sprintf("the certificate list did not answer within %s", budget.Round(time.Millisecond))}
	case err != nil:
		return Lifetime{Unknown: "the certificate list could not be read: " + netCause(err)}
	case resp.StatusCode != http.StatusOK:
		return Lifetime{Unknown: fmt.Sprintf("the certificate list answered HTTP %d", resp.StatusCode)}
	case len(body) > maxCertBody:
		return Lifetime{Unknown: fmt.Sprintf("the certificate list is larger than %d KiB, far more than any", maxCertBody>>10)}
	}
	l, err := ParseCertList(body, c.Key)
	if err != nil {
		return Lifetime{Unknown: err.Error()}
	}
	return l
}

// ParseCertList reads Google's certificate list, a JSON object mapping key
// IDs to PEM certificates, and returns the lifetime of k. The list is
// untrusted: an error says, in words of our own, why it cannot be used.
func ParseCertList(body []byte, k *playkey.Key) (Lifetime, error) {
	var certs map[string]string
	if err := json.Unmarshal(body, &certs); err != nil {
		return Lifetime{}, errors.New("the certificate list is not a JSON object of certificates")
	}
	text, ok := certs[k.PrivateKeyID]
	if !ok {
		return Lifetime{Read: true}, nil
	}
	blk, _ := pem.Decode([]byte(text))
	if blk == nil || blk.Type != "CERTIFICATE" {
		return Lifetime{}, errors.New("the certificate list holds no PEM certificate for the key")
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return Lifetime{}, errors.New("the key's certificate in the list cannot be parsed")
	}
	if k.Private != nil {
		if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(&k.Private.PublicKey) {
			return Lifetime{}, errors.New("the certificate listed under the key's ID is of another key")
		}
	}
	l := Lifetime{Read: true, Listed: true, Created: cert.NotBefore.UTC(), Expires: cert.NotAfter.UTC()}
	if l.Expires.Year() >= 9999 {
		l.Expires = time.Time{} // Google's "never expires"
	}
	return l, nil
}
