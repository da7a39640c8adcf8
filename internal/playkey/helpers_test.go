package playkey_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
)

// Test keys are generated once per test binary: 2048-bit RSA takes a while.
var testKeys = sync.OnceValues(func() (*rsa.PrivateKey, *ecdsa.PrivateKey) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return rk, ek
})

var smallKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		panic(err)
	}
	return k
})

const (
	testEmail = "publisher@mos-publisher-test.iam.gserviceaccount.com"
	testKeyID = "0123456789abcdef0123456789abcdef01234567"
)

func rsaKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, _ := testKeys()
	return k
}

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	_, k := testKeys()
	return k
}

func pkcs8PEM(t testing.TB, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func pkcs1PEM(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
}

func sec1PEM(t testing.TB, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
}

func fingerprintOf(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// field is one field of a key file, in order.
type field struct {
	name  string
	value any // string, or anything json.Marshal takes; nil leaves the field out
}

// googleFields are the fields of a key file as Google writes them.
func googleFields(privateKey string) []field {
	return []field{
		{"type", "service_account"},
		{"project_id", "mos-publisher-test"},
		{"private_key_id", testKeyID},
		{"private_key", privateKey},
		{"client_email", testEmail},
		{"client_id", "113456789012345678901"},
		{"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
		{"token_uri", "https://oauth2.googleapis.com/token"},
		{"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
		{"client_x509_cert_url", "https://www.googleapis.com/robot/v1/metadata/x509/publisher%40mos-publisher-test.iam.gserviceaccount.com"},
		{"universe_domain", "googleapis.com"},
	}
}

// keyFile writes fields the way Google does: two-space indent, one field
// per line, a final newline. with replaces or appends fields.
func keyFile(t testing.TB, privateKey string, with ...field) string {
	t.Helper()
	fields := googleFields(privateKey)
	for _, w := range with {
		found := false
		for i := range fields {
			if fields[i].name == w.name {
				fields[i].value, found = w.value, true
			}
		}
		if !found {
			fields = append(fields, w)
		}
	}
	var b strings.Builder
	b.WriteString("{\n")
	var lines []string
	for _, f := range fields {
		if f.value == nil {
			continue
		}
		v, err := json.Marshal(f.value)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, "  "+quote(f.name)+": "+string(v))
	}
	b.WriteString(strings.Join(lines, ",\n"))
	b.WriteString("\n}\n")
	return b.String()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// wrap76 breaks s into lines of 76 characters, as base64(1) does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	b.WriteString(s + "\n")
	return b.String()
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func x509MarshalPKIX(pub any) ([]byte, error) { return x509.MarshalPKIXPublicKey(pub) }
