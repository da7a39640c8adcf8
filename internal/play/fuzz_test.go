package play

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/testkit"
)

// The fuzz targets send arbitrary answers through the client's real paths:
// a stub transport answers with the fuzzed status, Location and body, in
// which the placeholders below stand for the credentials the request
// carried, as a server that quotes them would send.
const (
	placeholderAssertion = "{{ASSERTION}}"
	placeholderToken     = "{{TOKEN}}"
	// fuzzToken has the shape of a Google access token.
	fuzzToken = "ya29.a0AfB_byC3xQ9v2Lk8PzR4mN7tW1sYh6JdE0uGiVbXoKqZfMnTyHpLcS5aWeR"
)

// answer is one fuzzed answer of the stub transport.
type answer struct {
	status   int
	location string
	body     []byte
}

// stubTransport answers every request with a, the placeholders replaced by
// what the request carried, and remembers the assertion it saw.
type stubTransport struct {
	a         answer
	assertion string
}

func (s *stubTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		b, _ := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if form, err := url.ParseQuery(string(b)); err == nil && form.Get("assertion") != "" {
			s.assertion = form.Get("assertion")
		}
	}
	body := bytes.ReplaceAll(s.a.body, []byte(placeholderAssertion), []byte(s.assertion))
	body = bytes.ReplaceAll(body, []byte(placeholderToken), []byte(fuzzToken))
	h := http.Header{"Content-Type": {"application/json"}}
	if s.a.location != "" {
		h.Set("Location", strings.ReplaceAll(s.a.location, placeholderToken, fuzzToken))
	}
	return &http.Response{
		StatusCode: s.a.status, Status: http.StatusText(s.a.status), Header: h, Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// fuzzClient is a client whose every request gets a, fast: one retry with
// no wait, a key small enough to sign quickly.
func fuzzClient(tb testing.TB, key *rsa.PrivateKey, a answer) (*Client, *stubTransport) {
	tb.Helper()
	st := &stubTransport{a: a}
	base, err := url.Parse("https://androidpublisher.googleapis.com")
	if err != nil {
		tb.Fatal(err)
	}
	return &Client{
		BaseURL: base,
		HTTP:    httpx.New(httpx.Config{RetryMax: 1, WaitMin: time.Nanosecond, WaitMax: time.Nanosecond, Transport: st}),
		Key: &playkey.Key{ClientEmail: "publisher@mos-test.iam.gserviceaccount.com", PrivateKeyID: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c",
			ProjectID: "mos-test", TokenURI: "https://oauth2.googleapis.com/token", Private: key},
		Now: func() time.Time { return time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC) },
	}, st
}

func fuzzKey(f *testing.F) *rsa.PrivateKey {
	f.Helper()
	// 1024 bits: the fuzzer signs an assertion per input; the size of the
	// key does not matter to the code under test.
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	return key
}

// FuzzTokenAnswer sends arbitrary answers of Google's token endpoint through
// the exchange (oauth2's parsing, then classifyTokenError): never a panic,
// always a *TokenError with a title, one bounded line that quotes neither
// the signed assertion nor the access token. Seeds: testdata/fuzz/FuzzTokenAnswer.
func FuzzTokenAnswer(f *testing.F) {
	key := fuzzKey(f)
	addSeeds(f, tokenSeeds)
	f.Fuzz(func(t *testing.T, status uint16, location string, body []byte) {
		c, st := fuzzClient(t, key, answer{status: testkit.StatusOf(status), location: location, body: body})
		tok, err := c.token(context.Background())
		if err == nil {
			if tok == "" {
				t.Fatal("no error and no token")
			}
			return
		}
		var te *TokenError
		if !errors.As(err, &te) {
			t.Fatalf("error %T is not a *TokenError: %v", err, err)
		}
		title, msg := explain(te)
		if title == "" || strings.ContainsAny(title, "\r\n") {
			t.Fatalf("bad title %q", title)
		}
		secrets := testkit.NewSecrets(st.assertion[strings.LastIndex(st.assertion, ".")+1:], fuzzToken)
		testkit.CheckMessage(t, te.Error(), 2000, secrets)
		testkit.CheckMessage(t, msg, 2000, secrets)
		testkit.CheckMessage(t, title, 2000, secrets)
	})
}

// FuzzEditAnswer sends arbitrary answers of the Play API through opening an
// edit (insertEdit, apiErrorFrom): never a panic, either a usable edit ID or
// an *APIError naming the package, one bounded line that never quotes the
// access token. Seeds: testdata/fuzz/FuzzEditAnswer.
func FuzzEditAnswer(f *testing.F) {
	key := fuzzKey(f)
	addSeeds(f, editSeeds)
	secrets := testkit.NewSecrets(fuzzToken)
	f.Fuzz(func(t *testing.T, status uint16, location string, body []byte) {
		c, _ := fuzzClient(t, key, answer{status: testkit.StatusOf(status), location: location, body: body})
		ed, err := c.insertEdit(context.Background(), fuzzToken, "com.example.app")
		if err == nil {
			if !editIDRe.MatchString(ed.ID) {
				t.Fatalf("accepted an edit ID that is not one: %q", ed.ID)
			}
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) {
			t.Fatalf("error %T is not an *APIError: %v", err, err)
		}
		title, msg := explain(ae)
		if !strings.Contains(msg, "com.example.app") && !strings.Contains(title, "com.example.app") {
			t.Fatalf("error does not name the package: %s", msg)
		}
		testkit.CheckMessage(t, ae.Error(), 2000, secrets)
		testkit.CheckMessage(t, msg, 2000, secrets)
		testkit.CheckMessage(t, title, 2000, secrets)
	})
}

// seed is one answer of a seed corpus; status as the fuzz targets take it
// (testkit.StatusOf maps it: 100 → 200, 300 → 400, …).
type seed struct {
	status uint16
	loc    string
	body   string
}

var tokenSeeds = []seed{
	{100, "", `{"access_token":"` + placeholderToken + `","expires_in":3599,"token_type":"Bearer"}`},
	{300, "", `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`},
	{300, "", `{"error":"invalid_grant","error_description":"Invalid JWT: ` + placeholderAssertion + `"}`},
	{301, "", `{"error":"unauthorized_client","error_description":"Client is unauthorized to retrieve access tokens using this method."}`},
	{100, "", `{"access_token":"","token_type":"Bearer"}`},
	{100, "", `<html>` + placeholderAssertion + `</html>`},
	{407, "", `{"error":"internal_failure"}`},
	{207, "https://evil.example/token?assertion=" + placeholderToken, ``},
	{100, "", `access_token=` + placeholderToken + `&token_type=bearer`},
}

var editSeeds = []seed{
	{100, "", `{"id":"06915768243514329887","expiryTimeSeconds":"1764234000"}`},
	{100, "", `{"id":"../../x","expiryTimeSeconds":"1"}`},
	{303, "", serviceDisabledBody},
	{303, "", callerDeniedBody},
	{304, "", packageNotFoundBody},
	{301, "", unauthenticatedBody},
	{303, "", scopeBody},
	{301, "", `{"error":{"code":401,"message":"Invalid Credentials: ` + placeholderToken + `","errors":[{"reason":"authError ` + placeholderToken + `"}]}}`},
	{402, "", `<html><body>502 Bad Gateway</body></html>`},
	{207, "https://elsewhere.example/edits?access_token=" + placeholderToken, ``},
	{329, "", `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`},
}

func addSeeds(f *testing.F, seeds []seed) {
	for _, s := range seeds {
		f.Add(s.status, s.loc, []byte(s.body))
	}
}

var writeSeeds = flag.Bool("seeds", false, "rewrite the seed corpora in testdata/fuzz/FuzzTokenAnswer and FuzzEditAnswer")

// TestWriteFuzzSeeds writes the seeds above into testdata/fuzz, where the
// fuzzer and plain go test read them: go test -run TestWriteFuzzSeeds -seeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("run with -seeds to rewrite the corpus")
	}
	for target, seeds := range map[string][]seed{"FuzzTokenAnswer": tokenSeeds, "FuzzEditAnswer": editSeeds} {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			data := fmt.Sprintf("go test fuzz v1\nuint16(%d)\nstring(%q)\n[]byte(%q)\n", s.status, s.loc, s.body)
			name := fmt.Sprintf("seed-%02d-%d", i, testkit.StatusOf(s.status))
			if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
