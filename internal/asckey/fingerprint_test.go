package asckey

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"testing"
)

func TestFingerprint(t *testing.T) {
	t.Parallel()
	certDER, _ := pemDecode(readTestdata(t, "cert.pem"))
	cert, err := x509.ParseCertificate(certDER)
	if err != nil {
		t.Fatal(err)
	}
	rsaDER, _ := pemDecode(readTestdata(t, "rsa_pkcs8.p8"))
	rsaKey, err := x509.ParsePKCS8PrivateKey(rsaDER)
	if err != nil {
		t.Fatal(err)
	}
	ecKey := newTestKey(t).priv
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
		{name: "ECDSA private key", pub: ecKey, want: fingerprintOf(t, &ecKey.PublicKey)},
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
			got, err := Fingerprint(tc.pub)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("Fingerprint = %q, want %q", got, tc.want)
			}
		})
	}
}
