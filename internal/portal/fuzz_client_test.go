package portal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/portal"
	"github.com/mos-tools/publisher-keys/internal/testkit"
)

// Placeholders in a fuzzed answer, replaced by what the request carried, as
// a portal that quotes it would send.
const (
	phToken  = "{{TOKEN}}"
	phUpload = "{{UPLOAD}}" // the request body as sent
	phLine   = "{{LINE}}"   // a line of the uploaded key
)

// echoTransport answers every request with the fuzzed status, Location and
// body, the placeholders filled in.
type echoTransport struct {
	status         int
	location, body string
	line           string
}

func (e *echoTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	var sent []byte
	if req.Body != nil {
		sent, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	fill := strings.NewReplacer(phToken, strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "),
		phUpload, string(sent), phLine, e.line)
	h := http.Header{"Content-Type": {"application/json"}}
	if e.location != "" {
		h.Set("Location", fill.Replace(e.location))
	}
	body := fill.Replace(e.body)
	return &http.Response{
		StatusCode: e.status, Status: http.StatusText(e.status), Header: h, Request: req,
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body)),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

type clientSeed struct {
	op       uint8 // 0 GET iOS, 1 PUT iOS, 2 GET Android, 3 PUT Android
	status   uint16
	location string
	body     string
}

// The status as the target takes it: testkit.StatusOf maps 100 → 200, 300 → 400, …
var clientSeeds = []clientSeed{
	{0, 100, "", `{"keyId":"ABCDE12345","issuerId":"57246542-96fe-1a63-e053-0824d011072a","fingerprint":"SHA256:abc","uploadedAt":"2025-03-01T12:00:00Z"}`},
	{1, 101, "", `{"keyId":"ABCDE12345","issuerId":"57246542-96fe-1a63-e053-0824d011072a","fingerprint":"SHA256:abc","uploadedAt":"2025-03-01T12:00:00Z"}`},
	{2, 100, "", `{"clientEmail":"a@b.iam.gserviceaccount.com","privateKeyId":"0f1e","fingerprint":"SHA256:abc","uploadedAt":"2025-03-01T12:00:00Z"}`},
	{0, 304, "", `{"error":{"code":"key_not_found","message":"this app holds no key"}}`},
	{1, 322, "", `{"error":{"code":"invalid_key","message":"cannot parse ` + phUpload + `"}}`},
	{1, 322, "", `{"error":{"code":"invalid_key","message":"asn1 error near '` + phLine + `'"}}`},
	{3, 100, "", phUpload},
	{1, 100, "", phUpload},
	{0, 301, "", `{"error":{"code":"unauthorized","message":"token ` + phToken + ` expired"}}`},
	{0, 400, "", "<html><pre>Authorization: Bearer " + phToken + "</pre></html>"},
	{1, 207, "https://portal.example/api?token=" + phToken + "#" + phToken, ``},
	{1, 207, "http://[::1%zz/" + phToken, ``},
	{2, 100, "", `{"clientEmail":1}`},
	{0, 100, "", `{"keyId":"ABCDE12345","fingerprint":"SHA256:x","uploadedAt":"yesterday"}`},
}

var writeClientSeeds = flag.Bool("seeds", false, "rewrite the seed corpus in testdata/fuzz/FuzzClientAnswer")

// TestWriteClientFuzzSeeds writes clientSeeds into testdata/fuzz:
// go test -run TestWriteClientFuzzSeeds ./internal/portal -args -seeds.
func TestWriteClientFuzzSeeds(t *testing.T) {
	if !*writeClientSeeds {
		t.Skip("run with -seeds to rewrite the corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzClientAnswer")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range clientSeeds {
		data := fmt.Sprintf("go test fuzz v1\nuint8(%d)\nuint16(%d)\nstring(%q)\nstring(%q)\n", s.op, s.status, s.location, s.body)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d-%d", i, testkit.StatusOf(s.status))), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzClientAnswer sends arbitrary answers (status, Location, body) through
// the client's whole answer path for each of the four calls: status
// routing, redirect handling, size limit, decoding. Never a panic; a record
// that keeps the contract's promises, or a typed error with a title that is
// one bounded line quoting neither the token nor any 24-character run of
// the uploaded key, whatever the portal echoes. Seeds: testdata/fuzz/FuzzClientAnswer.
func FuzzClientAnswer(f *testing.F) {
	keyPEM, err := os.ReadFile(filepath.Join("testdata", "ios_test_key.p8"))
	if err != nil {
		f.Fatal(err)
	}
	saJSON, err := os.ReadFile(filepath.Join("testdata", "service_account_test.json"))
	if err != nil {
		f.Fatal(err)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		f.Fatal("testdata/ios_test_key.p8 is not PEM")
	}
	der64 := base64.StdEncoding.EncodeToString(block.Bytes)
	line := strings.Split(string(keyPEM), "\n")[1]
	// The service account's key, as base64 on one line.
	var saKey string
	if i := bytes.Index(saJSON, []byte("-----BEGIN PRIVATE KEY-----")); i >= 0 {
		rest := strings.ReplaceAll(string(saJSON[i:]), `\n`, "\n")
		if b, _ := pem.Decode([]byte(rest)); b != nil {
			saKey = base64.StdEncoding.EncodeToString(b.Bytes)
		}
	}
	if saKey == "" {
		f.Fatal("testdata/service_account_test.json holds no PEM key")
	}
	for _, s := range clientSeeds {
		f.Add(s.op, s.status, s.location, s.body)
	}
	// The token, and any run of the keys' base64.
	secrets := testkit.NewSecrets(token, der64, saKey)

	f.Fuzz(func(t *testing.T, op uint8, status uint16, location, body string) {
		tr := &echoTransport{status: testkit.StatusOf(status), location: location, body: body, line: line}
		base, err := httpx.ParseBaseURL("mos-url", "https://portal.example")
		if err != nil {
			t.Fatal(err)
		}
		c := &portal.Client{BaseURL: base, Token: token,
			HTTP: httpx.New(httpx.Config{RetryMax: 1, WaitMin: time.Nanosecond, WaitMax: time.Nanosecond, Transport: tr})}
		ctx := context.Background()
		var rec struct{ id, fingerprint string }
		switch op % 4 {
		case 0:
			var k *portal.Record
			if k, err = c.GetKey(ctx, project, app, portal.PlatformIOS); err == nil {
				rec.id, rec.fingerprint = k.KeyID, k.Fingerprint
			}
		case 1:
			var k *portal.Record
			if k, _, err = c.PutKey(ctx, project, app, portal.IOSKeyUpload{KeyID: keyID, IssuerID: issuerID, PrivateKey: string(keyPEM)}); err == nil {
				rec.id, rec.fingerprint = k.KeyID, k.Fingerprint
			}
		case 2:
			var k *portal.Record
			if k, err = c.GetKey(ctx, project, app, portal.PlatformAndroid); err == nil {
				rec.id, rec.fingerprint = k.KeyID, k.Fingerprint
			}
		default:
			var k *portal.Record
			if k, _, err = c.PutKey(ctx, project, app, portal.AndroidKeyUpload{ServiceAccountJSON: string(saJSON)}); err == nil {
				rec.id, rec.fingerprint = k.KeyID, k.Fingerprint
			}
		}
		if err == nil {
			if rec.id == "" || !strings.HasPrefix(rec.fingerprint, "SHA256:") {
				t.Fatalf("accepted a record without ID or fingerprint: %+v", rec)
			}
			return
		}
		var apiErr *portal.APIError
		var reqErr *portal.RequestError
		if !errors.As(err, &apiErr) && !errors.As(err, &reqErr) {
			t.Fatalf("error %T is neither *APIError nor *RequestError: %v", err, err)
		}
		title, advised := action.Explain(err)
		for _, msg := range []string{title, advised, err.Error()} {
			testkit.CheckMessage(t, msg, 2000, secrets)
		}
	})
}
