package action_test

import (
	"crypto/ecdsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"sort"
	"strings"
	"testing"
)

// runnerShows is what the job log shows of text printed by a later step of
// the same job, once the runner has applied masks (longest first).
func runnerShows(text string, masks []string) string {
	masks = append([]string(nil), masks...)
	sort.Slice(masks, func(i, j int) bool { return len(masks[i]) > len(masks[j]) })
	for _, m := range masks {
		text = strings.ReplaceAll(text, m, "***")
	}
	return text
}

// reencodings are what other tools print for key: the PEMs and the
// one-line base64 of OpenSSL's and Go's PKCS#8 (curve not inside), Java's
// (no curve, no point), SEC 1 as `openssl ec` writes it, and SEC 1
// without point (`openssl ec -no_public`).
func reencodings(t *testing.T, key *ecdsa.PrivateKey) map[string]string {
	t.Helper()
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	d, err := key.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	p256 := asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
	bare, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
	}{1, d})
	if err != nil {
		t.Fatal(err)
	}
	params, err := asn1.Marshal(p256)
	if err != nil {
		t.Fatal(err)
	}
	java, err := asn1.Marshal(struct {
		Version    int
		Algo       pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, Parameters: asn1.RawValue{FullBytes: params}}, bare})
	if err != nil {
		t.Fatal(err)
	}
	noPoint, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	}{1, d, p256})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for name, e := range map[string]struct {
		label string
		der   []byte
	}{
		"openssl pkcs8 -topk8":  {"PRIVATE KEY", p8},
		"Java's PKCS#8":         {"PRIVATE KEY", java},
		"openssl ec":            {"EC PRIVATE KEY", sec1},
		"openssl ec -no_public": {"EC PRIVATE KEY", noPoint},
	} {
		out[name] = string(pem.EncodeToMemory(&pem.Block{Type: e.label, Bytes: e.der}))
		out[name+", one line"] = base64.StdEncoding.EncodeToString(e.der)
	}
	return out
}

// A later step of the job re-encodes the key with another tool and prints
// it: the masks this run registered hide it, whatever form the secret had.
func TestMasksCoverReencodedKey(t *testing.T) {
	t.Parallel()
	given := map[string]func(w *world) string{
		"as downloaded": func(w *world) string { return w.keyPEM },
		"OpenSSL's PKCS#8, one line": func(w *world) string {
			der, err := x509.MarshalPKCS8PrivateKey(w.key)
			if err != nil {
				t.Fatal(err)
			}
			return base64.StdEncoding.EncodeToString(der)
		},
	}
	for name, in := range given {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := setup(t)
			r := w.run(t, w.inputs(map[string]string{"asc-key": in(w)}))
			if r.err != nil {
				t.Fatalf("run failed: %v\n%s", r.err, r.stdout)
			}
			masks := r.masks()
			for tool, printed := range reencodings(t, w.key) {
				for _, l := range strings.Split(runnerShows(printed, masks), "\n") {
					// AwEH, the end of the curve's name, closes SEC 1
					// without point: it is the same for every key.
					if l != "" && l != "***" && l != "AwEH" && !strings.HasPrefix(l, "-----") {
						t.Errorf("%s: the log shows %q", tool, l)
					}
				}
			}
		})
	}
}

// A key given twice (asc-key and asc-key-file) stops the run on its inputs,
// and the key given as content is masked all the same: the log of a later
// step that prints it shows nothing of it.
func TestMaskedWhenGivenTwice(t *testing.T) {
	t.Parallel()
	w := setup(t)
	r := w.run(t, w.inputs(map[string]string{"asc-key": w.keyPEM, "asc-key-file": "AuthKey_TESTKEY001.p8"}))
	if r.err == nil {
		t.Fatalf("the run passed with both asc-key and asc-key-file:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "title=Invalid input asc-key::") {
		t.Errorf("no Invalid input asc-key error:\n%s", r.stdout)
	}
	for _, l := range strings.Split(runnerShows(w.keyPEM, r.masks()), "\n") {
		if l != "" && l != "***" && !strings.HasPrefix(l, "-----") {
			t.Errorf("the key given twice is not masked: the log would show %q", l)
		}
	}
}
