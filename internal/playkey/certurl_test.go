package playkey_test

import (
	"testing"

	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// TestParseKeepsCertURL: client_x509_cert_url is kept as given (package play
// decides whether to request it); when it is missing or not a string the key
// is still accepted, with no URL.
func TestParseKeepsCertURL(t *testing.T) {
	t.Parallel()
	pemText := pkcs8PEM(t, rsaKey(t))
	google := "https://www.googleapis.com/robot/v1/metadata/x509/publisher%40mos-publisher-test.iam.gserviceaccount.com"
	cases := []struct {
		name string
		with []field
		want string
	}{
		{"as Google writes it", nil, google},
		{"trimmed", []field{{"client_x509_cert_url", "  https://evil.example/x  "}}, "https://evil.example/x"},
		{"absent", []field{{"client_x509_cert_url", nil}}, ""},
		{"not a string", []field{{"client_x509_cert_url", 42}}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := playkey.Parse(keyFile(t, pemText, tc.with...))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if k.CertURL != tc.want {
				t.Errorf("CertURL = %q, want %q", k.CertURL, tc.want)
			}
		})
	}
}
