package portal

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	t.Parallel()

	const token = "tok-Secret-0123456789"
	pem := "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgf9/9FsLSNOlRkcBL\n-----END PRIVATE KEY-----\n"
	cases := []struct {
		name, in string
		limit    int
		want     string
	}{
		{name: "plain", in: "keyId must be a string", limit: 300, want: "keyId must be a string"},
		{name: "line breaks and tabs collapse", in: "a\r\n\tb \x00 c", limit: 300, want: "a b c"},
		{name: "known token", in: "token " + token + " expired", limit: 300, want: "token [redacted] expired"},
		{name: "PEM cut off", in: "bad key: " + pem, limit: 300, want: "bad key: [redacted]"},
		{name: "a PEM line without its header", in: "line MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgf9/9FsLSNOlRkcBL here", limit: 300, want: "line [redacted] here"},
		{name: "JWT-like run", in: "jwt eyJhbGciOiJFUzI1NiIsImtpZCI6IkFCQ0RFMTIzNDUifQ", limit: 300, want: "jwt [redacted]"},
		{name: "paths, hex and UUIDs stay", in: "/api/v1/projects/acme/apps/my-app/publisher/ios 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 57246542-96fe-1a63-e053-0824d011072a", limit: 300,
			want: "/api/v1/projects/acme/apps/my-app/publisher/ios 0a1b2c3d4e5f60718293a4b5c6d7e8f901234567 57246542-96fe-1a63-e053-0824d011072a"},
		{name: "invalid UTF-8", in: "a\xffb", limit: 300, want: "a\uFFFDb"},
		{name: "truncated by runes", in: "äöüäöü", limit: 3, want: "äöü…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()

			if got := sanitize(tc.in, tc.limit, []string{token}); got != tc.want {
				t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// FuzzAnswer feeds arbitrary answers to the code that reads them: it must
// never panic, and the error it builds must stay one line, bounded, and free
// of the token and the uploaded key, whatever the portal sends.
func FuzzAnswer(f *testing.F) {
	const token = "tok-Secret-0123456789-abcdefXYZ"
	const keyLine = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgf9/9FsLSNOlRkcBL"
	f.Add(404, []byte(`{"error":{"code":"key_not_found","message":"none"}}`))
	f.Add(200, []byte(`{"keyId":"ABCDE12345","fingerprint":"SHA256:x","uploadedAt":"2025-03-01T12:00:00Z"}`))
	f.Add(500, []byte("<html>"+token+"</html>"))
	f.Add(422, []byte(`{"error":{"code":"invalid_key","message":"`+keyLine+`"}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		op := call{method: "PUT", platform: PlatformIOS, project: "p", app: "a",
			secrets: []string{"-----BEGIN PRIVATE KEY-----\n" + keyLine + "\n-----END PRIVATE KEY-----\n"}}
		secrets := append([]string{token}, op.secrets...)
		var errs []error
		if status >= 200 && status < 300 {
			for _, platform := range []string{PlatformIOS, PlatformAndroid} {
				op.platform = platform
				if _, err := decodeKey(op, status, body); err != nil {
					errs = append(errs, err)
				}
			}
		} else {
			errs = append(errs, op.errorFromBody(status, body, secrets))
		}
		for _, err := range errs {
			msg := err.Error()
			if strings.Contains(msg, token) || strings.Contains(msg, keyLine) {
				t.Fatalf("error leaks a secret: %q", msg)
			}
			if strings.ContainsAny(msg, "\r\n") {
				t.Fatalf("error spans lines: %q", msg)
			}
			if !utf8.ValidString(msg) || len(msg) > 2000 {
				t.Fatalf("error is invalid UTF-8 or %d bytes long", len(msg))
			}
			if status >= 200 && status < 300 && len(body) >= 16 && strings.Contains(msg, string(body)) {
				t.Fatalf("error quotes a 2xx body: %q", msg)
			}
		}
	})
}
