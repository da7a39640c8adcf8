package asckey

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testKey is a throwaway P-256 key and its encodings, built independently
// of the code under test.
type testKey struct {
	priv     *ecdsa.PrivateKey
	appleDER []byte // PKCS#8 as App Store Connect writes it: curve and public key inside
	goDER    []byte // PKCS#8 as Go (and OpenSSL 3) write it
	sec1DER  []byte
}

func newTestKey(t testing.TB) *testKey {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return testKeyOf(t, priv)
}

func testKeyOf(t testing.TB, priv *ecdsa.PrivateKey) *testKey {
	t.Helper()
	sec1, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	goDER, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	params, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})
	apple, err := asn1.Marshal(struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{
		Algo: pkix.AlgorithmIdentifier{
			Algorithm:  asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1},
			Parameters: asn1.RawValue{FullBytes: params},
		},
		PrivateKey: sec1,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testKey{priv: priv, appleDER: apple, goDER: goDER, sec1DER: sec1}
}

func pemOf(label string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: label, Bytes: der}))
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// wrap breaks s into lines of n characters, each ending in nl.
func wrap(s string, n int, nl string) string {
	var b strings.Builder
	for len(s) > n {
		b.WriteString(s[:n] + nl)
		s = s[n:]
	}
	b.WriteString(s + nl)
	return b.String()
}

func readTestdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// base64Runs returns the maximal runs of standard base64 characters in s
// that are at least n long.
func base64Runs(s string, n int) []string {
	var runs []string
	start := -1
	for i := 0; i <= len(s); i++ {
		in := i < len(s) && isStdBase64(s[i])
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			if i-start >= n {
				runs = append(runs, s[start:i])
			}
			start = -1
		}
	}
	return runs
}

func isStdBase64(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
}

// leaked returns a 16-character piece of base64 in input that msg contains.
func leaked(msg, input string) (string, bool) {
	const n = 16
	for _, run := range base64Runs(input, n) {
		for i := 0; i+n <= len(run); i++ {
			if strings.Contains(msg, run[i:i+n]) {
				return run[i : i+n], true
			}
		}
	}
	return "", false
}

// mask does what the runner does with ::add-mask:: values: every occurrence
// of any of them is replaced, overlapping occurrences merged.
func mask(log string, secrets []string) string {
	hide := make([]bool, len(log))
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for from := 0; ; {
			i := strings.Index(log[from:], s)
			if i < 0 {
				break
			}
			for j := from + i; j < from+i+len(s); j++ {
				hide[j] = true
			}
			from += i + 1
		}
	}
	var b strings.Builder
	for i := 0; i < len(log); i++ {
		if hide[i] {
			if i == 0 || !hide[i-1] {
				b.WriteString("***")
			}
			continue
		}
		b.WriteByte(log[i])
	}
	return b.String()
}
