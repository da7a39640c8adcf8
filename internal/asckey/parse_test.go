package asckey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files and the fuzz seed corpus in testdata/")

// acceptedForms are the ways one key k shows up in secrets, with the Form
// Parse must report for each.
func acceptedForms(t testing.TB, k *testKey) []struct{ name, in, form string } {
	t.Helper()
	apple := pemOf("PRIVATE KEY", k.appleDER)
	sec1 := pemOf("EC PRIVATE KEY", k.sec1DER)
	body := b64(k.appleDER)
	lines := strings.Split(strings.TrimSpace(apple), "\n")
	ecParams := pemOf("EC PARAMETERS", mustMarshal(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}))
	noPub, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
		Curve      asn1.ObjectIdentifier `asn1:"explicit,tag:0"`
	}{1, mustBytes(t, k.priv), asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}})
	if err != nil {
		t.Fatal(err)
	}
	noCurve, err := asn1.Marshal(struct {
		Version    int
		PrivateKey []byte
	}{1, mustBytes(t, k.priv)})
	if err != nil {
		t.Fatal(err)
	}
	return []struct{ name, in, form string }{
		{"as downloaded", apple, "PEM (PKCS#8)"},
		{"Go and OpenSSL layout", pemOf("PRIVATE KEY", k.goDER), "PEM (PKCS#8)"},
		{"no trailing newline", strings.TrimSuffix(apple, "\n"), "PEM (PKCS#8)"},
		{"CRLF", strings.ReplaceAll(apple, "\n", "\r\n"), "PEM (PKCS#8), with CRLF line endings"},
		{"blank lines and spaces around", "\n\n  \t" + apple + "\n\n   \n", "PEM (PKCS#8)"},
		{"indented like YAML", "  " + strings.ReplaceAll(apple, "\n", "\n  "), "PEM (PKCS#8)"},
		{"byte order mark", "\ufeff" + apple, "PEM (PKCS#8), with a byte order mark"},
		{"double quotes", `"` + apple + `"`, "PEM (PKCS#8), in quotes"},
		{"single quotes", "'" + apple + "'", "PEM (PKCS#8), in quotes"},
		{"typographic quotes", "“" + apple + "”", "PEM (PKCS#8), in quotes"},
		{"BOM and quotes", "\ufeff\"" + apple + "\"\n", "PEM (PKCS#8), with a byte order mark, in quotes"},
		{"literal \\n escapes", strings.ReplaceAll(apple, "\n", `\n`), `PEM (PKCS#8), with literal \n escapes`},
		{"literal \\r\\n escapes", strings.ReplaceAll(apple, "\n", `\r\n`), `PEM (PKCS#8), with literal \r\n escapes`},
		{"double-escaped \\\\n", strings.ReplaceAll(apple, "\n", `\\n`), `PEM (PKCS#8), with literal \n escapes`},
		{"JSON string", `"` + strings.ReplaceAll(apple, "\n", `\n`) + `"`, `PEM (PKCS#8), in quotes, with literal \n escapes`},
		{"collapsed with spaces", strings.Join(lines, " "), "PEM (PKCS#8), collapsed onto one line"},
		{"collapsed with nothing", strings.Join(lines, ""), "PEM (PKCS#8), collapsed onto one line"},
		{"with text around", "Bag Attributes\n    localKeyID: 01 02\n" + apple + "\nsee 1Password\n", "PEM (PKCS#8), with other text around it"},
		{"base64 of the file", b64([]byte(apple)), "base64 of the .p8 file"},
		{"base64 of the file wrapped at 76", wrap(b64([]byte(apple)), 76, "\n"), "base64 of the .p8 file, line-wrapped"},
		{"base64 of the file wrapped at 64", wrap(b64([]byte(apple)), 64, "\n"), "base64 of the .p8 file, line-wrapped"},
		{"base64 of the file wrapped, CRLF", wrap(b64([]byte(apple)), 76, "\r\n"), "base64 of the .p8 file, with CRLF line endings, line-wrapped"},
		{"base64 of a CRLF file", b64([]byte(strings.ReplaceAll(apple, "\n", "\r\n"))), "base64 of the .p8 file, with CRLF line endings"},
		{"base64 of the file in quotes", `"` + b64([]byte(apple)) + `"`, "base64 of the .p8 file, in quotes"},
		{"base64 of base64", b64([]byte(b64([]byte(apple)))), "base64 of base64 of the .p8 file"},
		{"body only", body, "base64 body without BEGIN/END lines"},
		{"body only wrapped", wrap(body, 64, "\n"), "base64 body without BEGIN/END lines, line-wrapped"},
		{"body only spaced", strings.Join(lines[1:len(lines)-1], " "), "base64 body without BEGIN/END lines"},
		{"body only unpadded", strings.TrimRight(b64(k.goDER), "="), "base64 body without BEGIN/END lines"},
		{"body only URL-safe", base64.RawURLEncoding.EncodeToString(k.appleDER), "base64 body without BEGIN/END lines"},
		{"SEC1", sec1, "SEC1 EC PRIVATE KEY PEM"},
		{"SEC1 after EC PARAMETERS", ecParams + sec1, "SEC1 EC PRIVATE KEY PEM, with an EC PARAMETERS block"},
		{"SEC1 without public key", pemOf("EC PRIVATE KEY", noPub), "SEC1 EC PRIVATE KEY PEM"},
		{"SEC1 without curve after EC PARAMETERS", ecParams + pemOf("EC PRIVATE KEY", noCurve), "SEC1 EC PRIVATE KEY PEM, with an EC PARAMETERS block"},
		{"SEC1 CRLF with escapes", strings.ReplaceAll(sec1, "\n", `\r\n`), `SEC1 EC PRIVATE KEY PEM, with literal \r\n escapes`},
		{"base64 of the SEC1 file", b64([]byte(sec1)), "base64 of a SEC1 EC PRIVATE KEY PEM"},
		{"SEC1 body only", b64(k.sec1DER), "base64 SEC1 body without BEGIN/END lines"},
		{"SEC1 labelled PRIVATE KEY", pemOf("PRIVATE KEY", k.sec1DER), "SEC1 EC PRIVATE KEY PEM"},
	}
}

func mustMarshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustBytes(t testing.TB, priv *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := priv.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseAccepts(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	wantPEM := pemOf("PRIVATE KEY", k.appleDER)
	wantFP := fingerprintOf(t, &k.priv.PublicKey)
	for _, tc := range acceptedForms(t, k) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got.PKCS8PEM != wantPEM {
				t.Errorf("PKCS8PEM differs from the canonical PEM:\n%s", cmp.Diff(wantPEM, got.PKCS8PEM))
			}
			if got.Fingerprint != wantFP {
				t.Errorf("Fingerprint = %s, want %s", got.Fingerprint, wantFP)
			}
			if got.Form != tc.form {
				t.Errorf("Form = %q, want %q", got.Form, tc.form)
			}
			if !got.Private.Equal(k.priv) {
				t.Error("Private is not the key given")
			}
			if _, leak := leaked(got.Form, tc.in); leak {
				t.Error("Form contains key material")
			}
		})
	}
}

// The PEM that goes to mos.portal is what every PKCS#8 reader accepts, in
// the exact shape the contract names.
func TestParsePKCS8PEMShape(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	got, err := Parse(pemOf("EC PRIVATE KEY", k.sec1DER))
	if err != nil {
		t.Fatal(err)
	}
	pemText := got.PKCS8PEM
	if !strings.HasPrefix(pemText, "-----BEGIN PRIVATE KEY-----\n") || !strings.HasSuffix(pemText, "\n-----END PRIVATE KEY-----\n") {
		t.Errorf("armour wrong: %q…", pemText[:28])
	}
	if strings.Contains(pemText, "\r") {
		t.Error("PKCS8PEM contains CR")
	}
	lines := strings.Split(strings.TrimSuffix(pemText, "\n"), "\n")
	body := lines[1 : len(lines)-1]
	for i, l := range body {
		if i < len(body)-1 && len(l) != 64 || len(l) > 64 || l == "" {
			t.Errorf("body line %d is %d characters", i, len(l))
		}
	}
	// App Store Connect's layout: 150 bytes of DER, 4 body lines.
	if !strings.HasPrefix(body[0], "MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg") || len(body) != 4 {
		t.Errorf("not in App Store Connect's layout: %d lines", len(body))
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(body, ""))
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("x509 cannot read PKCS8PEM: %v", err)
	}
	if !k.priv.Equal(key) {
		t.Error("PKCS8PEM holds another key")
	}
	// The key signs: what appstore.Signer will do with it.
	sum := sha256.Sum256([]byte("payload"))
	sig, err := ecdsa.SignASN1(rand.Reader, got.Private, sum[:])
	if err != nil || !ecdsa.VerifyASN1(&k.priv.PublicKey, sum[:], sig) {
		t.Errorf("Private does not sign: %v", err)
	}
}

// Keys made by OpenSSL (throwaway, in testdata/): the SEC1 file with its
// EC PARAMETERS block and the PKCS#8 export are one key, the one in
// cert.pem.
func TestParseOpenSSLFiles(t *testing.T) {
	t.Parallel()
	block, _ := pemDecode(readTestdata(t, "cert.pem"))
	cert, err := x509.ParseCertificate(block)
	if err != nil {
		t.Fatal(err)
	}
	want := fingerprintOf(t, cert.PublicKey)
	var pems []string
	for _, name := range []string{"p256_ecparams_sec1.pem", "p256_openssl_pkcs8.p8"} {
		t.Run(name, func(t *testing.T) {
			k, err := Parse(readTestdata(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if k.Fingerprint != want {
				t.Errorf("Fingerprint = %s, want %s (cert.pem)", k.Fingerprint, want)
			}
			pems = append(pems, k.PKCS8PEM)
		})
	}
	if len(pems) == 2 && pems[0] != pems[1] {
		t.Error("the two files of one key give different PKCS8PEM")
	}
}

func pemDecode(s string) ([]byte, string) {
	i := strings.Index(s, "-----\n")
	j := strings.Index(s, "\n-----END")
	der, _ := base64.StdEncoding.DecodeString(strings.ReplaceAll(s[i+6:j], "\n", ""))
	return der, s[11:i]
}

func fingerprintOf(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

type rejection struct {
	name   string
	in     string
	reason Reason
	title  string
}

func rejections(t testing.TB) []rejection {
	t.Helper()
	k := newTestKey(t)
	apple := pemOf("PRIVATE KEY", k.appleDER)
	appleLines := strings.Split(apple, "\n")

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaP8, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edP8, _ := x509.MarshalPKCS8PrivateKey(edKey)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384P8, _ := x509.MarshalPKCS8PrivateKey(p384)
	p384SEC1, _ := x509.MarshalECPrivateKey(p384)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	p521P8, _ := x509.MarshalPKCS8PrivateKey(p521)
	pubDER, _ := x509.MarshalPKIXPublicKey(&k.priv.PublicKey)
	sa, _ := json.MarshalIndent(map[string]string{
		"type": "service_account", "project_id": "throwaway", "private_key_id": "0123456789abcdef",
		"private_key": pemOf("PRIVATE KEY", rsaP8), "client_email": "ci@throwaway.iam.gserviceaccount.com",
	}, "", "  ")
	fastlane, _ := json.Marshal(map[string]any{
		"key_id": "ABCDE12345", "issuer_id": "57246542-96fe-1a63-e053-0824d011072a", "key": apple, "in_house": false,
	})

	// One character of the private number changed: still base64, still DER,
	// but the public part no longer matches.
	mangled := []byte(apple)
	i := strings.Index(apple, "AQQg") + 10
	mangled[i] = map[bool]byte{true: 'B', false: 'A'}[mangled[i] == 'A']
	body := b64(k.appleDER)

	rejectRSA := "App Store Connect key is an RSA key"
	corrupt := "App Store Connect key is truncated or corrupt"
	unknown := "App Store Connect key not recognised"
	return []rejection{
		{"empty", "", ReasonEmpty, "App Store Connect key is empty"},
		{"only whitespace", " \n\t\r\n", ReasonEmpty, "App Store Connect key is empty"},
		{"empty quotes", `""`, ReasonEmpty, "App Store Connect key is empty"},
		{"BOM only", "\ufeff\n", ReasonEmpty, "App Store Connect key is empty"},
		{"too large", strings.Repeat("A", maxInput+1), ReasonTooLarge, "App Store Connect key is too large"},

		{"RSA PKCS#8", pemOf("PRIVATE KEY", rsaP8), ReasonRSA, rejectRSA},
		{"RSA PKCS#1", pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), ReasonRSA, rejectRSA},
		{"RSA PKCS#1 body only", b64(x509.MarshalPKCS1PrivateKey(rsaKey)), ReasonRSA, rejectRSA},
		{"RSA PKCS#8 base64 of the file", b64([]byte(pemOf("PRIVATE KEY", rsaP8))), ReasonRSA, rejectRSA},
		{"RSA PKCS#8 with escapes", strings.ReplaceAll(pemOf("PRIVATE KEY", rsaP8), "\n", `\n`), ReasonRSA, rejectRSA},
		{"RSA by OpenSSL", readTestdata(t, "rsa_pkcs1.pem"), ReasonRSA, rejectRSA},
		{"Ed25519", pemOf("PRIVATE KEY", edP8), ReasonOtherKeyType, "App Store Connect key is an Ed25519 key"},
		{"Ed25519 body only", b64(edP8), ReasonOtherKeyType, "App Store Connect key is an Ed25519 key"},
		{"Ed448", readTestdata(t, "ed448.p8"), ReasonOtherKeyType, "App Store Connect key is an Ed448 key"},
		{"X25519", readTestdata(t, "x25519.p8"), ReasonOtherKeyType, "App Store Connect key is an X25519 key"},
		{"DSA traditional", readTestdata(t, "dsa_trad.pem"), ReasonOtherKeyType, "App Store Connect key is a DSA key"},
		{"DSA PKCS#8", readTestdata(t, "dsa_pkcs8.p8"), ReasonOtherKeyType, "App Store Connect key is a DSA key"},
		{"DSA traditional body only", b64(mustPEMBody(t, readTestdata(t, "dsa_trad.pem"))), ReasonOtherKeyType, "App Store Connect key is a DSA key"},
		{"OpenSSH", readTestdata(t, "openssh_ecdsa_p256.pem"), ReasonOtherKeyType, "App Store Connect key is an OpenSSH key"},

		{"P-384 PKCS#8", pemOf("PRIVATE KEY", p384P8), ReasonCurve, "App Store Connect key uses curve P-384"},
		{"P-384 SEC1", pemOf("EC PRIVATE KEY", p384SEC1), ReasonCurve, "App Store Connect key uses curve P-384"},
		{"P-521 PKCS#8 body only", b64(p521P8), ReasonCurve, "App Store Connect key uses curve P-521"},
		{"secp256k1 SEC1", readTestdata(t, "secp256k1_sec1.pem"), ReasonCurve, "App Store Connect key uses curve secp256k1"},
		{"secp256k1 PKCS#8", readTestdata(t, "secp256k1_pkcs8.p8"), ReasonCurve, "App Store Connect key uses curve secp256k1"},
		{"brainpoolP256r1", readTestdata(t, "brainpoolP256r1_sec1.pem"), ReasonCurve, "App Store Connect key uses curve brainpoolP256r1"},
		{"explicit curve parameters", readTestdata(t, "p256_explicit_sec1.pem"), ReasonCurveExplicit, "App Store Connect key has explicit curve parameters"},
		{"SEC1 without any curve", pemOf("EC PRIVATE KEY", mustMarshal(t, struct {
			V int
			D []byte
		}{1, mustBytes(t, k.priv)})), ReasonCurveMissing, "App Store Connect key does not name its curve"},

		{"encrypted PKCS#8", readTestdata(t, "p256_pkcs8_encrypted.pem"), ReasonEncrypted, "App Store Connect key is encrypted"},
		{"encrypted PKCS#8 body only", b64(mustPEMBody(t, readTestdata(t, "p256_pkcs8_encrypted.pem"))), ReasonEncrypted, "App Store Connect key is encrypted"},
		{"legacy encrypted SEC1", readTestdata(t, "p256_legacy_encrypted.pem"), ReasonEncrypted, "App Store Connect key is encrypted"},
		{"legacy encrypted SEC1 collapsed", strings.ReplaceAll(readTestdata(t, "p256_legacy_encrypted.pem"), "\n", " "), ReasonEncrypted, "App Store Connect key is encrypted"},

		{"END line missing", strings.Join(appleLines[:3], "\n"), ReasonCorrupt, corrupt},
		{"a body line missing", strings.Join(append(appleLines[:2:2], appleLines[3:]...), "\n"), ReasonCorrupt, corrupt},
		{"last body line missing", strings.Join(append(appleLines[:4:4], appleLines[5:]...), "\n"), ReasonCorrupt, corrupt},
		{"BEGIN line missing", strings.Join(appleLines[1:], "\n"), ReasonCorrupt, corrupt},
		{"cut mid-line", apple[:100], ReasonCorrupt, corrupt},
		{"one character changed", string(mangled), ReasonCorrupt, corrupt},
		{"invalid character in body", strings.Replace(apple, "AwEH", "Aw*H", 1), ReasonCorrupt, corrupt},
		{"smart quote in body", strings.Replace(apple, "AwEH", "Aw’H", 1), ReasonCorrupt, corrupt},
		{"body only cut", body[:120], ReasonCorrupt, corrupt},
		{"body only one character short", body[:len(body)-1], ReasonCorrupt, corrupt},
		{"body only with trailing junk", body + "AAAA", ReasonCorrupt, corrupt},
		{"base64 of the file cut", b64([]byte(apple))[:200], ReasonCorrupt, corrupt},
		{"padding in the middle", body[:100] + "==" + body[100:], ReasonCorrupt, corrupt},
		{"EC PARAMETERS only", pemOf("EC PARAMETERS", mustMarshal(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7})), ReasonCorrupt, corrupt},
		{"empty PEM block", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", ReasonCorrupt, corrupt},
		{"damaged BEGIN line", "-----BEGIN PRIVATE KEY\n" + body, ReasonCorrupt, corrupt},

		{"public key", pemOf("PUBLIC KEY", pubDER), ReasonPublicKey, "App Store Connect key is a public key"},
		{"public key by OpenSSL", readTestdata(t, "p256_public.pem"), ReasonPublicKey, "App Store Connect key is a public key"},
		{"public key body only", b64(pubDER), ReasonPublicKey, "App Store Connect key is a public key"},
		{"SSH public key", readTestdata(t, "openssh_ecdsa_p256.pub"), ReasonPublicKey, "App Store Connect key is a public key"},
		{"certificate", readTestdata(t, "cert.pem"), ReasonCertificate, "App Store Connect key is a certificate"},
		{"certificate body only", b64(mustPEMBody(t, readTestdata(t, "cert.pem"))), ReasonCertificate, "App Store Connect key is a certificate"},
		{"certificate request", readTestdata(t, "csr.pem"), ReasonCertificate, "App Store Connect key is a certificate request"},
		{".p12 base64", b64([]byte(readTestdata(t, "bundle.p12"))), ReasonCertificate, "App Store Connect key is a .p12 file"},

		{"service account", string(sa), ReasonServiceAccount, "Google service account given as App Store Connect key"},
		{"service account base64", b64(sa), ReasonServiceAccount, "Google service account given as App Store Connect key"},
		{"service account in quotes", "'" + string(sa) + "'", ReasonServiceAccount, "Google service account given as App Store Connect key"},
		{"service account cut", string(sa[:len(sa)/2]), ReasonServiceAccount, "Google service account given as App Store Connect key"},
		{"fastlane JSON", string(fastlane), ReasonFastlane, "App Store Connect key is a fastlane JSON"},
		{"other JSON", `{"hello": "world"}`, ReasonUnrecognised, unknown},
		{"broken JSON", `{"hello": `, ReasonUnrecognised, unknown},

		{"two keys", apple + pemOf("EC PRIVATE KEY", k.sec1DER), ReasonMultipleKeys, "App Store Connect key holds several keys"},
		{"P-256 and RSA keys", apple + pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), ReasonMultipleKeys, "App Store Connect key holds several keys"},

		{"Key ID", "ABCDE12345", ReasonKeyIDAsKey, unknown},
		{"Issuer ID", "57246542-96fe-1a63-e053-0824d011072a", ReasonIssuerIDAsKey, unknown},
		{"file name", "AuthKey_ABCDE12345.p8", ReasonFileName, unknown},
		{"a path", "./secrets/AuthKey_ABCDE12345.p8", ReasonFileName, unknown},
		{"prose", "please see the key in 1Password", ReasonUnrecognised, unknown},
		{"unknown PEM block", "-----BEGIN PGP MESSAGE-----\n" + body + "\n-----END PGP MESSAGE-----\n", ReasonUnrecognised, unknown},
		{"unknown private PEM block", "-----BEGIN SSH2 PRIVATE KEY-----\n" + body + "\n-----END SSH2 PRIVATE KEY-----\n", ReasonUnrecognised, unknown},
		{"base64 of binary", b64([]byte{0xde, 0xad, 0xbe, 0xef, 1, 2, 3}), ReasonUnrecognised, unknown},
		{"base64 of prose", b64([]byte("just some words")), ReasonUnrecognised, unknown},
		{"DER that is not a key", b64(mustMarshal(t, []int{1, 2, 3})), ReasonUnrecognised, unknown},
		{"four levels of base64", b64([]byte(b64([]byte(b64([]byte(b64([]byte(apple)))))))), ReasonUnrecognised, unknown},
	}
}

func mustPEMBody(t testing.TB, s string) []byte {
	t.Helper()
	der, _ := pemDecode(s)
	if len(der) == 0 {
		t.Fatal("no PEM body")
	}
	return der
}

func TestParseRejects(t *testing.T) {
	t.Parallel()
	for _, tc := range rejections(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := Parse(tc.in)
			if err == nil {
				t.Fatalf("Parse accepted it as %q", k.Form)
			}
			var ie *IntakeError
			if !errors.As(err, &ie) {
				t.Fatalf("error is %T, want *IntakeError", err)
			}
			if ie.Reason != tc.reason {
				t.Errorf("got %s, want %s: %s", ie.Reason, tc.reason, ie.Error())
			}
			checkNoLeak(t, ie.Error(), tc.in)
		})
	}
}

// checkNoLeak fails when a message quotes the input or carries a long run
// of base64 that may be key material.
func checkNoLeak(t *testing.T, msg, in string) {
	t.Helper()
	if piece, leak := leaked(msg, in); leak {
		t.Errorf("message contains input %q: %s", piece, msg)
	}
	if runs := base64Runs(msg, 16); len(runs) > 0 {
		t.Errorf("message contains a long base64-like run %q", runs[0])
	}
}

func BenchmarkParse(b *testing.B) {
	k := newTestKey(b)
	apple := pemOf("PRIVATE KEY", k.appleDER)
	for _, bc := range []struct{ name, in string }{
		{"PEM", apple},
		{"base64 of the file", wrap(b64([]byte(apple)), 76, "\n")},
		{"escaped", strings.ReplaceAll(apple, "\n", `\n`)},
		{"SEC1", pemOf("EC PRIVATE KEY", k.sec1DER)},
		{"rejected RSA", readTestdata(b, "rsa_pkcs8.p8")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Parse(bc.in)
			}
		})
	}
}

// A PKCS#8 key whose AlgorithmIdentifier names another curve than the SEC 1
// key inside it: the curve the key names itself decides, as for a SEC 1 key
// after EC PARAMETERS, and Parse never returns a key that is not on P-256.
func TestParseMixedCurvesGiveP256(t *testing.T) {
	t.Parallel()
	k := newTestKey(t)
	for _, outer := range []asn1.ObjectIdentifier{{1, 3, 132, 0, 34}, {1, 3, 132, 0, 35}} {
		params := mustMarshal(t, outer)
		p8 := mustMarshal(t, struct {
			Version    int
			Algo       pkix.AlgorithmIdentifier
			PrivateKey []byte
		}{0, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, Parameters: asn1.RawValue{FullBytes: params}}, k.sec1DER})
		got, err := Parse(pemOf("PRIVATE KEY", p8))
		if err != nil {
			t.Fatalf("outer curve %v: %v", outer, err)
		}
		if got.Private.Curve != elliptic.P256() || !got.Private.Equal(k.priv) {
			t.Errorf("outer curve %v: Parse returned a key on %s, not the P-256 key inside", outer, got.Private.Curve.Params().Name)
		}
	}
}
