package fingerprint

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// pemDER reads the DER of the one PEM block of a throwaway file in testdata/.
func pemDER(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	return block.Bytes
}

// format is the fingerprint's format, which mos.portal stores and
// compares: it must not change.
var format = regexp.MustCompile(`^SHA256:[A-Za-z0-9+/]{43}$`)

func TestOf(t *testing.T) {
	t.Parallel()
	cert, err := x509.ParseCertificate(pemDER(t, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	rsaKey, err := x509.ParsePKCS8PrivateKey(pemDER(t, "rsa_pkcs8.p8"))
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(spki)
	ecWant := "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
	_, edKey, _ := ed25519.GenerateKey(nil)

	// Expected values from OpenSSL:
	//   openssl pkey -pubout -outform der | openssl dgst -sha256 -binary | base64
	cases := []struct {
		name    string
		pub     crypto.PublicKey
		want    string
		wantErr bool
	}{
		{name: "ECDSA, as OpenSSL computes it", pub: cert.PublicKey, want: "SHA256:y9VxI027+lrNpv6K4sJGILtiDNZnWM0mdMzHLiN7vjk"},
		{name: "RSA, as OpenSSL computes it", pub: &rsaKey.(*rsa.PrivateKey).PublicKey, want: "SHA256:5r3YxZvXGYJstNhSS38+oncgUwhttpHBqBiGABVBjac"},
		{name: "RSA private key", pub: rsaKey, want: "SHA256:5r3YxZvXGYJstNhSS38+oncgUwhttpHBqBiGABVBjac"},
		{name: "ECDSA private key", pub: ecKey, want: ecWant},
		{name: "nil", pub: nil, wantErr: true},
		{name: "nil ECDSA", pub: (*ecdsa.PublicKey)(nil), wantErr: true},
		{name: "nil ECDSA private", pub: (*ecdsa.PrivateKey)(nil), wantErr: true},
		{name: "nil RSA", pub: (*rsa.PublicKey)(nil), wantErr: true},
		{name: "empty ECDSA", pub: &ecdsa.PublicKey{}, wantErr: true},
		{name: "Ed25519", pub: edKey.Public(), wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Of(tc.pub)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("Of = %q, want %q", got, tc.want)
			}
			if !tc.wantErr && !format.MatchString(got) {
				t.Errorf("Of = %q, want SHA256: and 43 characters of unpadded base64", got)
			}
		})
	}
}
