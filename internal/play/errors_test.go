package play

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mos-tools/publisher-keys/internal/httpx"
	"github.com/mos-tools/publisher-keys/internal/playkey"
	"github.com/mos-tools/publisher-keys/internal/standin/googlestandin"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Bodies as Google sends them (see the issue threads of gradle-play-publisher,
// fastlane, bitrise and googleapis clients), numbers changed.
const (
	serviceDisabledBody = `{
  "error": {
    "code": 403,
    "message": "Google Play Android Developer API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.",
    "errors": [
      {
        "message": "Google Play Android Developer API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.",
        "domain": "usageLimits",
        "reason": "accessNotConfigured",
        "extendedHelp": "https://console.developers.google.com"
      }
    ],
    "status": "PERMISSION_DENIED",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "SERVICE_DISABLED",
        "domain": "googleapis.com",
        "metadata": {
          "consumer": "projects/123456789012",
          "service": "androidpublisher.googleapis.com",
          "containerInfo": "123456789012",
          "activationUrl": "https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview?project=123456789012",
          "serviceTitle": "Google Play Android Developer API"
        }
      }
    ]
  }
}`
	accessNotConfiguredBody = `{"error":{"code":403,"message":"Access Not Configured. Google Play Developer API has not been used in project 987654321 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/androidpublisher.googleapis.com/overview?project=987654321 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.","errors":[{"domain":"usageLimits","reason":"accessNotConfigured","message":"Access Not Configured."}]}}`
	callerDeniedBody        = `{"error":{"code":403,"message":"The caller does not have permission","errors":[{"message":"The caller does not have permission","domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}`
	insufficientPermsBody   = `{"error":{"code":401,"message":"The current user has insufficient permissions to perform the requested operation.","errors":[{"domain":"androidpublisher","message":"The current user has insufficient permissions to perform the requested operation.","reason":"permissionDenied"}]}}`
	packageNotFoundBody     = `{"error":{"code":404,"message":"Package not found: com.example.app.","errors":[{"message":"Package not found: com.example.app.","domain":"global","reason":"notFound"}],"status":"NOT_FOUND"}}`
	applicationNotFoundBody = `{"error":{"code":404,"message":"No application was found for the given package name.","errors":[{"domain":"global","location":"packageName","locationType":"parameter","message":"No application was found for the given package name.","reason":"applicationNotFound"}]}}`
	projectNotLinkedBody    = `{"error":{"code":403,"message":"The project id used to call the Google Play Developer API has not been linked in the Google Play Developer Console.","errors":[{"domain":"androidpublisher","message":"The project id used to call the Google Play Developer API has not been linked in the Google Play Developer Console.","reason":"projectNotLinked"}]}}`
	unauthenticatedBody     = `{"error":{"code":401,"message":"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.","errors":[{"message":"Invalid Credentials","domain":"global","reason":"authError","location":"Authorization","locationType":"header"}],"status":"UNAUTHENTICATED"}}`
	scopeBody               = `{"error":{"code":403,"message":"Request had insufficient authentication scopes.","errors":[{"message":"Insufficient Permission","domain":"global","reason":"insufficientPermissions"}],"status":"PERMISSION_DENIED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT","domain":"googleapis.com"}]}}`
)

func testClient() *Client {
	return &Client{Key: &playkey.Key{ClientEmail: "publisher@mos-test.iam.gserviceaccount.com", PrivateKeyID: "abc123", ProjectID: "mos-test"}}
}

func TestAPIErrorFrom(t *testing.T) {
	t.Parallel()
	type got struct {
		Kind    APIErrorKind
		Project string
	}
	cases := []struct {
		name   string
		status int
		body   string
		want   got
	}{
		{"SERVICE_DISABLED with details", 403, serviceDisabledBody, got{APIDisabled, "123456789012"}},
		{"accessNotConfigured without details", 403, accessNotConfiguredBody, got{APIDisabled, "987654321"}},
		{"disabled, project only in the key file", 403, `{"error":{"code":403,"message":"API disabled","errors":[{"reason":"accessNotConfigured"}]}}`, got{APIDisabled, "mos-test"}},
		{"caller does not have permission", 403, callerDeniedBody, got{Kind: APIPermissionDenied}},
		{"older 401 insufficient permissions", 401, insufficientPermsBody, got{Kind: APIPermissionDenied}},
		{"package not found", 404, packageNotFoundBody, got{Kind: APIPackageNotFound}},
		{"older applicationNotFound", 404, applicationNotFoundBody, got{Kind: APIPackageNotFound}},
		{"project not linked", 403, projectNotLinkedBody, got{Kind: APIProjectNotLinked}},
		{"token refused", 401, unauthenticatedBody, got{Kind: APIUnauthenticated}},
		{"scope insufficient", 403, scopeBody, got{Kind: APIScopeInsufficient}},
		{"rate limited", 429, `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`, got{Kind: APIRateLimited}},
		{"server error", 503, `<html>unavailable</html>`, got{Kind: APIUnavailable}},
		{"HTML 403 from a proxy", 403, `<html>forbidden</html>`, got{Kind: APIMalformed}},
		{"other 400", 400, `{"error":{"code":400,"message":"Invalid request","status":"INVALID_ARGUMENT"}}`, got{Kind: APIOther}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := testClient().apiErrorFrom("com.example.app", tc.status, []byte(tc.body))
			if diff := cmp.Diff(tc.want, got{e.Kind, e.ProjectNumber}); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if _, msg := explain(e); !strings.Contains(msg, "com.example.app") && e.Kind != APIDisabled {
				t.Errorf("message does not name the package: %s", msg)
			}
		})
	}
}

func TestTokenKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		status     int
		code, desc string
		want       TokenErrorKind
	}{
		{400, "invalid_grant", "Invalid JWT Signature.", TokenKeyInvalid},
		{400, "invalid_grant", "Invalid grant: account not found", TokenAccountNotFound},
		{400, "invalid_grant", "Account has been deleted", TokenAccountNotFound},
		{400, "invalid_grant", "Robot is disabled.", TokenAccountNotFound},
		{400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.", TokenClockSkew},
		{400, "invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe", TokenClockSkew},
		{400, "invalid_grant", "Not a valid email.", TokenRejected},
		{400, "invalid_grant", "Invalid JWT: Failed audience check.", TokenRejected},
		{401, "disabled_client", "The OAuth client was disabled.", TokenKeyDisabled},
		{401, "invalid_client", "The OAuth client was not found.", TokenClientNotAllowed},
		{401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method.", TokenClientNotAllowed},
		{400, "invalid_scope", "Empty or missing scope not allowed.", TokenScopeRefused},
		{503, "", "", TokenUnavailable},
		{429, "rate_limit_exceeded", "", TokenUnavailable},
		{307, "", "", TokenRedirect},
		{400, "", "", TokenMalformed},
	}
	for _, tc := range cases {
		if got := tokenKind(tc.status, tc.code, tc.desc); got != tc.want {
			t.Errorf("tokenKind(%d, %q, %q) = %q, want %q", tc.status, tc.code, tc.desc, got, tc.want)
		}
	}
}

// TestMessages pins the wording of every error the user can see.
func TestMessages(t *testing.T) {
	t.Parallel()
	email, key := "publisher@mos-test.iam.gserviceaccount.com", "5b0c1d9e2f3a"
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tok := func(kind TokenErrorKind, status int, code, desc string) error {
		return &TokenError{Kind: kind, Status: status, Code: code, Description: desc, ClientEmail: email, KeyID: key,
			TokenURI: "https://oauth2.googleapis.com/token", Clock: clock, Err: errors.New("connection refused")}
	}
	c := testClient()
	c.Key.ClientEmail = email
	errs := []error{
		tok(TokenKeyInvalid, 400, "invalid_grant", "Invalid JWT Signature."),
		tok(TokenAccountNotFound, 400, "invalid_grant", "Invalid grant: account not found"),
		tok(TokenClockSkew, 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."),
		tok(TokenKeyDisabled, 401, "disabled_client", "The OAuth client was disabled."),
		tok(TokenClientNotAllowed, 401, "invalid_client", "The OAuth client was not found."),
		tok(TokenScopeRefused, 400, "invalid_scope", "Empty or missing scope not allowed."),
		tok(TokenRejected, 400, "invalid_grant", "Not a valid email."),
		tok(TokenUnavailable, 503, "", ""),
		tok(TokenRedirect, 307, "", ""),
		tok(TokenMalformed, 200, "", ""),
		tok(TokenNetwork, 0, "", ""),
		tok(TokenTimeout, 0, "", ""),
		c.apiErrorFrom("com.example.app", 403, []byte(serviceDisabledBody)),
		c.apiErrorFrom("com.example.app", 403, []byte(callerDeniedBody)),
		c.apiErrorFrom("com.example.app", 404, []byte(packageNotFoundBody)),
		c.apiErrorFrom("com.example.app", 403, []byte(projectNotLinkedBody)),
		c.apiErrorFrom("com.example.app", 401, []byte(unauthenticatedBody)),
		c.apiErrorFrom("com.example.app", 403, []byte(scopeBody)),
		c.apiErrorFrom("com.example.app", 429, nil),
		c.apiErrorFrom("com.example.app", 502, nil),
		c.apiErrorFrom("com.example.app", 403, []byte("<html>")),
		c.apiErrorFrom("com.example.app", 400, []byte(`{"error":{"code":400,"message":"Invalid request","status":"INVALID_ARGUMENT"}}`)),
		&APIError{Kind: APIRedirect, Package: "com.example.app", Status: 307, ClientEmail: email},
		&APIError{Kind: APINetwork, Package: "com.example.app", ClientEmail: email, Err: errors.New("connection reset by peer")},
		&APIError{Kind: APITimeout, Package: "com.example.app", ClientEmail: email},
		&PackageNameError{Package: "com example"},
		// The key's certificate list was read (issue 14).
		&TokenError{Kind: TokenKeyInvalid, Status: 400, Code: "invalid_grant", Description: "Invalid JWT Signature.", ClientEmail: email, KeyID: key,
			TokenURI: "https://oauth2.googleapis.com/token", Clock: clock, CertListRead: true},
		&TokenError{Kind: TokenKeyInvalid, Status: 400, Code: "invalid_grant", Description: "Invalid JWT Signature.", ClientEmail: email, KeyID: key,
			TokenURI: "https://oauth2.googleapis.com/token", Clock: clock, CertListRead: true, CertListed: true},
		// play-check: read.
		&APIError{Kind: APIRedirect, Read: true, Package: "com.example.app", Status: 307, ClientEmail: email},
		&APIError{Kind: APIMalformed, Read: true, Package: "com.example.app", Status: 200, ClientEmail: email},
		&APIError{Kind: APINetwork, Read: true, Package: "com.example.app", ClientEmail: email, Err: errors.New("connection reset by peer")},
		&APIError{Kind: APITimeout, Read: true, Package: "com.example.app", ClientEmail: email},
	}
	var b strings.Builder
	for _, err := range errs {
		title, msg := explain(err)
		if title == "Error" {
			t.Fatalf("%T has no title", err)
		}
		fmt.Fprintf(&b, "%s\n%s\n\n", title, msg)
	}
	golden := filepath.Join("testdata", "messages.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestMessages -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("messages changed (-golden +now); run with -update if intended:\n%s", diff)
	}
}

func TestDeleteEditRunsAfterTheRunIsCancelled(t *testing.T) {
	t.Parallel()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	srv := googlestandin.New()
	srv.AddServiceAccount("a@p.iam.gserviceaccount.com", "k1", &priv.PublicKey, "42")
	srv.AddPackage("com.example.app", "a@p.iam.gserviceaccount.com")
	base, stop, err := srv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	file, err := googlestandin.KeyFile("a@p.iam.gserviceaccount.com", "k1", "p", base+"/token", priv)
	if err != nil {
		t.Fatal(err)
	}
	k, err := playkey.Parse(string(file))
	if err != nil {
		t.Fatal(err)
	}
	u, err := httpx.ParseBaseURL("play-api-url", base)
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: u, HTTP: httpx.New(httpx.Config{WaitMin: time.Millisecond, WaitMax: time.Millisecond}), Key: k}

	ctx, cancel := context.WithCancel(t.Context())
	tok, err := c.token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ed, err := c.insertEdit(ctx, tok, "com.example.app")
	if err != nil {
		t.Fatal(err)
	}
	cancel() // the run is cancelled (SIGTERM, deadline) right after the insert
	if w := c.deleteEdit(ctx, tok, "com.example.app", ed); w != "" {
		t.Errorf("warning: %s", w)
	}
	if n := srv.OpenEdits("com.example.app"); n != 0 {
		t.Errorf("%d edits left open after a cancelled run", n)
	}
}
