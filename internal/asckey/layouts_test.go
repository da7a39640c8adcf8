package asckey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
)

// The DER in these tests is built byte by byte, not with encoding/asn1 as
// the code under test does, so that a mistake in one is not in both.

// tlv is one DER element.
func tlv(tag byte, content ...[]byte) []byte {
	c := bytes.Join(content, nil)
	var head []byte
	switch n := len(c); {
	case n < 0x80:
		head = []byte{tag, byte(n)}
	case n < 0x100:
		head = []byte{tag, 0x81, byte(n)}
	default:
		head = []byte{tag, 0x82, byte(n >> 8), byte(n)}
	}
	return append(head, c...)
}

var (
	derECPublicKey = []byte{0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}       // 1.2.840.10045.2.1
	derP256        = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07} // 1.2.840.10045.3.1.7
)

// handSEC1 is an RFC 5915 ECPrivateKey: version 1, the private number, the
// curve in [0] if curve, the point in [1] if pub is not nil.
func handSEC1(d, pub []byte, curve bool) []byte {
	parts := [][]byte{{0x02, 0x01, 0x01}, tlv(0x04, d)}
	if curve {
		parts = append(parts, tlv(0xa0, derP256))
	}
	if pub != nil {
		parts = append(parts, tlv(0xa1, tlv(0x03, []byte{0}, pub)))
	}
	return tlv(0x30, parts...)
}

// handPKCS8 is a PKCS#8 PrivateKeyInfo holding sec1, the curve named in
// its AlgorithmIdentifier.
func handPKCS8(sec1 []byte) []byte {
	return tlv(0x30, []byte{0x02, 0x01, 0x00}, tlv(0x30, derECPublicKey, derP256), tlv(0x04, sec1))
}

// encoding is one standard encoding of a key, as a tool writes it.
type encoding struct {
	name, label string
	der         []byte
}

// standardEncodings are the layouts a later step of a job may re-encode
// the key with point pub into (see TestHandBuiltLayoutsAreTheTools for
// which tool writes which).
func standardEncodings(d, pub []byte) []encoding {
	return []encoding{
		{"PKCS#8, curve inside (Apple's .p8)", "PRIVATE KEY", handPKCS8(handSEC1(d, pub, true))},
		{"PKCS#8 (openssl pkcs8 -topk8, Go, Node, Python)", "PRIVATE KEY", handPKCS8(handSEC1(d, pub, false))},
		{"PKCS#8 without point (Java, OpenSSL of a key without its point)", "PRIVATE KEY", handPKCS8(handSEC1(d, nil, false))},
		{"PKCS#8, curve inside, without point (BouncyCastle)", "PRIVATE KEY", handPKCS8(handSEC1(d, nil, true))},
		{"SEC 1 (openssl ec, Go, Node, Python)", "EC PRIVATE KEY", handSEC1(d, pub, true)},
		{"SEC 1 without curve (inside OpenSSL's PKCS#8)", "EC PRIVATE KEY", handSEC1(d, pub, false)},
		{"SEC 1 without point (openssl ec -no_public)", "EC PRIVATE KEY", handSEC1(d, nil, true)},
		{"SEC 1 without curve or point (inside Java's PKCS#8)", "EC PRIVATE KEY", handSEC1(d, nil, false)},
	}
}

// keyParts returns the private number and the uncompressed and compressed
// points of priv.
func keyParts(t testing.TB, priv *ecdsa.PrivateKey) (d, pub, compressed []byte) {
	t.Helper()
	d = mustBytes(t, priv)
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// SEC 1 §2.3.3: 02 or 03 for an even or odd y, then x.
	compressed = append([]byte{2 | pub[64]&1}, pub[1:33]...)
	return d, pub, compressed
}

// checkEncodingsMasked checks that every encoding in encs, printed as one
// line of base64 and as a PEM, is hidden by the masks: every PEM body
// line that holds anything of this key is registered as it is, and the
// lines every P-256 key shares (told by the same encoding of another key,
// others) are not registered.
func checkEncodingsMasked(t *testing.T, lines []string, encs, others []encoding) {
	t.Helper()
	set := map[string]bool{}
	for _, l := range lines {
		set[l] = true
	}
	for i, e := range encs {
		one := b64(e.der)
		if !set[one] {
			t.Errorf("%s: the one-line base64 (%d characters) is not registered", e.name, len(one))
		}
		p := pemOf(e.label, e.der)
		theirs := strings.Split(pemOf(others[i].label, others[i].der), "\n")
		for j, l := range strings.Split(p, "\n") {
			shared := j < len(theirs) && theirs[j] == l
			switch {
			case l == "" || strings.HasPrefix(l, "-----"):
			case shared && set[l]:
				t.Errorf("%s: PEM line %d (%q) is the same for every key, yet registered", e.name, j, l)
			case !shared && !set[l]:
				t.Errorf("%s: PEM line %d (%d characters) is not registered", e.name, j, len(l))
			}
		}
		// What the runner shows: armour, ***, and the shared lines.
		for j, l := range strings.Split(mask(p+one, lines), "\n") {
			if l != "" && l != "***" && !strings.HasPrefix(l, "-----") && !(j < len(theirs) && theirs[j] == l) {
				t.Errorf("%s: line %d shows %q after masking", e.name, j, l)
			}
		}
	}
}

// checkWrapped checks that the 64-character PEM wrapping of a base64 body
// given on one line is registered.
func checkWrapped(t *testing.T, lines []string, body string) {
	t.Helper()
	set := map[string]bool{}
	for _, l := range lines {
		set[l] = true
	}
	for _, l := range strings.Split(strings.TrimSpace(wrap(body, 64, "\n")), "\n") {
		if len(l) >= minMaterialLine && !set[l] {
			t.Errorf("the 64-character wrapping of the body given is not registered: a line of %d characters is missing", len(l))
		}
	}
}

type maskCase struct {
	name string
	in   string
	// body is a base64 body given on one line, whose 64-character
	// wrapping must be registered ("" when the value has none).
	body string
	// received are further layouts that keep the parts as received.
	received []encoding
}

func runMaskCases(t *testing.T, priv *ecdsa.PrivateKey, cases []maskCase) {
	t.Helper()
	d, pub, _ := keyParts(t, priv)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	od, opub, ocompressed := keyParts(t, other)
	encs, others := standardEncodings(d, pub), standardEncodings(od, opub)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !key.Private.Equal(priv) {
				t.Fatal("Parse found another key")
			}
			lines := SecretLines(tc.in, key)
			checkLineRules(t, lines)
			checkEncodingsMasked(t, lines, encs, others)
			if len(tc.received) > 0 {
				checkEncodingsMasked(t, lines, tc.received, standardEncodings(od, ocompressed))
			}
			if tc.body != "" {
				checkWrapped(t, lines, tc.body)
			}
		})
	}
}

// A key made by Go, given in each form a workflow may hold it in: every
// standard encoding of it is masked, whatever the form.
func TestSecretLinesMaskEveryLayout(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	noAlgParams := tlv(0x30, []byte{0x02, 0x01, 0x00}, tlv(0x30, derECPublicKey), tlv(0x04, k.sec1DER))
	goPEM := pemOf("PRIVATE KEY", k.goDER)
	runMaskCases(t, k.priv, []maskCase{
		{name: "Go PKCS#8 PEM", in: goPEM},
		{name: "Go SEC 1 PEM", in: pemOf("EC PRIVATE KEY", k.sec1DER)},
		{name: "Apple .p8", in: pemOf("PRIVATE KEY", k.appleDER)},
		{name: "Go PKCS#8 body on one line", in: b64(k.goDER), body: b64(k.goDER)},
		{name: "Go SEC 1 body on one line", in: b64(k.sec1DER), body: b64(k.sec1DER)},
		{name: "Go PKCS#8 body wrapped at 76", in: wrap(b64(k.goDER), 76, "\n"), body: b64(k.goDER)},
		{name: "URL-safe body without padding", in: base64.RawURLEncoding.EncodeToString(k.goDER), body: base64.RawURLEncoding.EncodeToString(k.goDER)},
		{name: "base64 of the Go .p8 file", in: b64([]byte(goPEM))},
		{name: "Go PKCS#8 PEM as a JSON string", in: `"` + strings.ReplaceAll(goPEM, "\n", `\n`) + `"`},
		// A layout no tool writes and the list does not make: only the
		// wrapping of the body given covers its PEM.
		{name: "PKCS#8 without curve in the AlgorithmIdentifier, on one line", in: b64(noAlgParams), body: b64(noAlgParams)},
	})
}

// A key laid out as OpenSSL writes it (by hand, byte by byte), given as
// OpenSSL's tools print it: every standard encoding is masked, and those
// that keep a compressed point as received.
func TestSecretLinesMaskOpenSSLLayout(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	d, pub, compressed := keyParts(t, priv)
	p8 := handPKCS8(handSEC1(d, pub, false))
	p8PEM := pemOf("PRIVATE KEY", p8)
	ecParams := pemOf("EC PARAMETERS", derP256)
	runMaskCases(t, priv, []maskCase{
		{name: "openssl pkcs8 -topk8", in: p8PEM},
		{name: "openssl ecparam -genkey", in: ecParams + pemOf("EC PRIVATE KEY", handSEC1(d, pub, true))},
		{name: "openssl ec -no_public", in: pemOf("EC PRIVATE KEY", handSEC1(d, nil, true))},
		{name: "PKCS#8 without point", in: pemOf("PRIVATE KEY", handPKCS8(handSEC1(d, nil, false)))},
		{name: "body on one line", in: b64(p8), body: b64(p8)},
		{name: "base64 -w0 of the file", in: b64([]byte(p8PEM))},
		{name: "openssl ec -conv_form compressed", in: pemOf("EC PRIVATE KEY", handSEC1(d, compressed, true)),
			received: standardEncodings(d, compressed)},
	})
}

func readPEMDER(t *testing.T, name string) []byte {
	t.Helper()
	block, _ := pem.Decode([]byte(readTestdata(t, name)))
	if block == nil {
		t.Fatalf("%s holds no PEM", name)
	}
	return block.Bytes
}

// The hand-built layouts are the ones the tools really write: Go's
// encoders here, OpenSSL 3.0's from files it wrote (testdata/reencoded/
// README.md says how; Node 22 and Python's cryptography 48 wrote the same
// bytes as OpenSSL for PKCS#8 and SEC 1).
func TestHandBuiltLayoutsAreTheTools(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	d, pub, _ := keyParts(t, k.priv)
	file := readPEMDER(t, "p256_openssl_pkcs8.p8")
	fk, err := x509.ParsePKCS8PrivateKey(file)
	if err != nil {
		t.Fatal(err)
	}
	fd, fpub, fcompressed := keyParts(t, fk.(*ecdsa.PrivateKey))
	cases := []struct {
		name      string
		got, want []byte
	}{
		{"x509.MarshalPKCS8PrivateKey", k.goDER, handPKCS8(handSEC1(d, pub, false))},
		{"x509.MarshalECPrivateKey", k.sec1DER, handSEC1(d, pub, true)},
		{"Apple's layout", k.appleDER, handPKCS8(handSEC1(d, pub, true))},
		{"openssl pkcs8 -topk8", file, handPKCS8(handSEC1(fd, fpub, false))},
		{"openssl ec", readPEMDER(t, "reencoded/openssl_ec.pem"), handSEC1(fd, fpub, true)},
		{"openssl ec -no_public", readPEMDER(t, "reencoded/openssl_ec_no_public.pem"), handSEC1(fd, nil, true)},
		{"openssl pkcs8 of a key without point", readPEMDER(t, "reencoded/openssl_pkcs8_no_public.p8"), handPKCS8(handSEC1(fd, nil, false))},
		{"openssl ec -conv_form compressed", readPEMDER(t, "reencoded/openssl_ec_compressed.pem"), handSEC1(fd, fcompressed, true)},
		{"openssl pkcs8 of a compressed key", readPEMDER(t, "reencoded/openssl_pkcs8_compressed.p8"), handPKCS8(handSEC1(fd, fcompressed, false))},
	}
	for _, tc := range cases {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got %x\nwant %x", tc.name, tc.got, tc.want)
		}
	}
}

// What OpenSSL printed when it re-encoded the key of a .p8 is masked, as
// the key was given to the action.
func TestSecretLinesMaskOpenSSLOutput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in      string
		printed []string
	}{
		{"p256_openssl_pkcs8.p8", []string{"reencoded/openssl_ec.pem", "reencoded/openssl_ec_no_public.pem", "reencoded/openssl_pkcs8_no_public.p8"}},
		{"reencoded/openssl_ec_compressed.pem", []string{"reencoded/openssl_pkcs8_compressed.p8", "p256_openssl_pkcs8.p8"}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			in := readTestdata(t, tc.in)
			key, err := Parse(in)
			if err != nil {
				t.Fatal(err)
			}
			lines := SecretLines(in, key)
			checkLineRules(t, lines)
			for _, name := range tc.printed {
				for _, l := range strings.Split(mask(readTestdata(t, name), lines), "\n") {
					// AwEH, the end of the curve's name, closes SEC 1
					// without point: it is the same for every key.
					if l != "" && l != "***" && l != "AwEH" && !strings.HasPrefix(l, "-----") {
						t.Errorf("%s shows %q after masking", name, l)
					}
				}
			}
		})
	}
}

// Masks a typical key registers, and an upper bound: each is matched by
// the runner against every log line of the job.
func TestSecretLinesCount(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	const most = 40
	for _, tc := range acceptedForms(t, k) {
		key, err := Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		n := len(SecretLines(tc.in, key))
		t.Logf("%-40s %2d masks", tc.name, n)
		if n > most {
			t.Errorf("%s: %d masks, more than %d", tc.name, n, most)
		}
	}
}
