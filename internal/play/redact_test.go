package play

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/httpx"
)

// Google never quotes credentials in its errors, but a proxy or a
// misbehaving server might: none of it may reach a message.
func TestRemoteTextNeverQuotesCredentials(t *testing.T) {
	t.Parallel()
	const (
		// The shapes of a real access token and of an RS256 signature.
		accessToken = "ya29.a0AfB_byC3xQ9v2Lk8PzR4mN7tW1sYh6JdE0uGiVbXoKqZfMnTyHpLcS5aWeR"
		signature   = "Xk3vQ9pL2mN8rT4wY7zB1cF6hJ0sD5gK-uE_oI3aV8bM2nR6tW9yZ4xC7eH1jL5q"
		hexToken    = "standin-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	)

	cases := []struct {
		name   string
		status int
		body   string
		tok    string
		secret string
	}{
		{name: "message quotes the access token", status: 401, tok: accessToken, secret: accessToken,
			body: `{"error":{"code":401,"message":"Invalid Credentials: ` + accessToken + `","status":"UNAUTHENTICATED"}}`},
		{name: "reason quotes a token of lower-case hex", status: 401, tok: hexToken, secret: hexToken,
			body: `{"error":{"code":401,"message":"Invalid Credentials ` + hexToken + `","errors":[{"reason":"authError ` + hexToken + `"}]}}`},
		{name: "message quotes part of a signature", status: 403, tok: accessToken, secret: signature[:40],
			body: `{"error":{"code":403,"message":"bad signature ` + signature[:40] + `","status":"PERMISSION_DENIED"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			}))
			t.Cleanup(srv.Close)
			base, err := url.Parse(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			c := testClient()
			c.BaseURL, c.HTTP = base, httpx.New(httpx.Config{RetryMax: -1})
			_, err = c.insertEdit(context.Background(), tc.tok, "com.example.app")
			if err == nil {
				t.Fatal("no error")
			}
			if msg := err.Error(); strings.Contains(msg, tc.secret) || strings.Contains(msg, tc.secret[:24]) {
				t.Errorf("message quotes the credential: %s", msg)
			}
		})
	}

	t.Run("token endpoint quotes the assertion", func(t *testing.T) {
		t.Parallel()
		desc := "Invalid JWT Signature: eyJhbGciOiJSUzI1NiIsImtpZCI6ImFiYzEyMyJ9." + signature
		if got := clean(desc, 240); strings.Contains(got, signature[:24]) || strings.Contains(got, "eyJhbGciOiJSUzI1NiIsImtpZCI6") {
			t.Errorf("clean(%q) = %q keeps the credential", desc, got)
		}
		for _, keep := range []string{"ACCESS_TOKEN_SCOPE_INSUFFICIENT", "projects/123456789012", "publisher@mos-test.iam.gserviceaccount.com", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c"} {
			if got := clean(keep, 240); got != keep {
				t.Errorf("clean(%q) = %q; codes, projects, e-mails and key IDs must stay readable", keep, got)
			}
		}
	})
}
