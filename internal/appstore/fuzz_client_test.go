package appstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/testkit"
)

// Placeholders in a fuzzed answer, replaced by the token the request
// carried, as a server that quotes it would send.
const (
	phJWT = "{{JWT}}"
	phSig = "{{SIG}}" // the token's signature alone
)

// echoTransport answers every request with the fuzzed status, Location,
// X-Rate-Limit and body, the placeholders filled in.
type echoTransport struct {
	status                    int
	location, rateLimit, body string
}

func (e *echoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	fill := strings.NewReplacer(phJWT, tok, phSig, tok[strings.LastIndex(tok, ".")+1:])
	h := http.Header{"Content-Type": {"application/json"}}
	if e.location != "" {
		h.Set("Location", fill.Replace(e.location))
	}
	if e.rateLimit != "" {
		h.Set("X-Rate-Limit", fill.Replace(e.rateLimit))
	}
	body := fill.Replace(e.body)
	return &http.Response{
		StatusCode: e.status, Status: http.StatusText(e.status), Header: h, Request: req,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

type checkSeed struct {
	bundles   bool
	status    uint16 // testkit.StatusOf maps 100 → 200, 301 → 401, …
	location  string
	rateLimit string
	body      string
}

var checkSeeds = []checkSeed{
	{false, 100, "", "user-hour-lim:3600;user-hour-rem:3599;", `{"data":[{"type":"apps","id":"1","attributes":{"bundleId":"com.example.app"}}],"links":{"self":"x"}}`},
	{true, 100, "", "", `{"data":[{"type":"apps","id":"1","attributes":{"bundleId":"com.example.app"}}],"links":{"next":"https://api.appstoreconnect.apple.com/v1/apps?cursor=Mg"}}`},
	{true, 100, "", "", `{"data":[],"links":{"next":"https://elsewhere.example/v1/apps?token=` + phJWT + `"}}`},
	{false, 301, "", "user-hour-lim:3600;user-hour-rem:0;", `{"errors":[{"id":"1","status":"401","code":"NOT_AUTHORIZED","title":"Bearer ` + phJWT + `","detail":"signature ` + phSig + ` does not verify"}]}`},
	{false, 303, "", "", `{"errors":[{"status":"403","code":"FORBIDDEN_ERROR","title":"This request is forbidden for security reasons","detail":"The API key in use does not allow this request"}]}`},
	{false, 329, "", phSig, `{"errors":[{"status":"429","code":"RATE_LIMIT_EXCEEDED"}]}`},
	{false, 207, "https://evil.example/v1/apps?jwt=" + phJWT, "", ``},
	{false, 207, "http://[::1%zz/" + phSig, "", ``},
	{false, 100, "", "", `<html>` + phJWT + `</html>`},
	{false, 100, "", "", `{"data":null}`},
	{false, 403, "", "", `{"errors":"not a list"}`},
	{true, 303, "", "user-hour-lim:3600;user-hour-rem:3598;", `{"errors":[{"id":"TXF6QUVS6OY66YVUNINVLKXZFA","status":"403","code":"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED","title":"A required agreement is missing or has expired.","detail":"This request requires an in-effect agreement that has not been signed or has expired.","links":{"see":"/business"}}]}`},
}

var writeCheckSeeds = flag.Bool("seeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzCheckAnswer")

// TestWriteCheckFuzzSeeds writes checkSeeds into testdata/fuzz:
// go test -run TestWriteCheckFuzzSeeds ./internal/appstore -args -seeds.
func TestWriteCheckFuzzSeeds(t *testing.T) {
	if !*writeCheckSeeds {
		t.Skip("run with -seeds to rewrite the corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzCheckAnswer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range checkSeeds {
		data := fmt.Sprintf("go test fuzz v1\nbool(%t)\nuint16(%d)\nstring(%q)\nstring(%q)\nstring(%q)\n", s.bundles, s.status, s.location, s.rateLimit, s.body)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d-%d", i, testkit.StatusOf(s.status))), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzCheckAnswer sends arbitrary answers (status, Location, X-Rate-Limit,
// body) through Check, with and without bundle IDs: status routing,
// redirects, paging and its same-origin rule, decoding, the error texts.
// Never a panic; either only bundle IDs that were asked for, or a typed
// error with a title, one bounded line that quotes neither the token nor
// any 24-character run of its signature, whatever the server echoes.
// Seeds: testdata/fuzz/FuzzCheckAnswer.
func FuzzCheckAnswer(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	// One signer for the whole run: it signs once and caches the token.
	signer := &Signer{KeyID: testKeyID, IssuerID: testIssuerID, Key: key}
	token, err := signer.Token()
	if err != nil {
		f.Fatal(err)
	}
	// The whole token, and any run of its signature.
	secrets := testkit.NewSecrets(token, token[strings.LastIndex(token, ".")+1:])
	for _, s := range checkSeeds {
		f.Add(s.bundles, s.status, s.location, s.rateLimit, s.body)
	}
	asked := []string{"com.example.app", "com.example.other"}

	f.Fuzz(func(t *testing.T, bundles bool, status uint16, location, rateLimit, body string) {
		base, err := httpx.ParseBaseURL("asc-api-url", "https://api.appstoreconnect.apple.com")
		if err != nil {
			t.Fatal(err)
		}
		tr := &echoTransport{status: testkit.StatusOf(status), location: location, rateLimit: rateLimit, body: body}
		c := &Client{BaseURL: base, Signer: signer,
			HTTP: httpx.New(httpx.Config{RetryMax: 1, WaitMin: time.Nanosecond, WaitMax: time.Nanosecond, Transport: tr})}
		var ids []string
		if bundles {
			ids = asked
		}
		chk, err := c.Check(context.Background(), ids)
		if chk != nil {
			for _, id := range chk.BundleIDs {
				if bundles && !slices.Contains(asked, id) {
					t.Fatalf("reports bundle ID %q, which was not asked for", id)
				}
			}
		}
		if err == nil {
			return
		}
		var apiErr *APIError
		var netErr *NetworkError
		var respErr *ResponseError
		var notVisible *BundleIDsNotVisibleError
		var agreement *AgreementError
		switch {
		case errors.As(err, &agreement):
		case errors.As(err, &apiErr):
		case errors.As(err, &netErr):
		case errors.As(err, &respErr):
		case errors.As(err, &notVisible):
		default:
			t.Fatalf("error %T is not one of the documented types: %v", err, err)
		}
		title, advised := explain(err)
		for _, msg := range []string{title, advised, err.Error()} {
			testkit.CheckMessage(t, msg, 4000, secrets)
		}
	})
}
