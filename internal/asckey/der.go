package asckey

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
)

var (
	oidPublicKeyEC = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidCurveP256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
)

// crypto/x509 parses the keys it supports and says only "unknown" of the
// rest. These names, by dotted OID, let an error say what the user gave:
// algorithms of PKCS#8 keys, and named curves other than P-256.
var (
	algorithmNames = map[string]string{
		"1.2.840.113549.1.1.1":  "RSA",
		"1.2.840.113549.1.1.10": "RSA", // RSASSA-PSS
		"1.2.840.10040.4.1":     "DSA",
		"1.3.101.110":           "X25519",
		"1.3.101.111":           "X448",
		"1.3.101.112":           "Ed25519",
		"1.3.101.113":           "Ed448",
		"1.2.840.113549.1.3.1":  "Diffie-Hellman",
		"1.2.840.10046.2.1":     "Diffie-Hellman",
	}
	curveNames = map[string]string{
		"1.2.840.10045.3.1.1":   "P-192",
		"1.3.132.0.33":          "P-224",
		"1.3.132.0.34":          "P-384",
		"1.3.132.0.35":          "P-521",
		"1.3.132.0.10":          "secp256k1",
		"1.3.36.3.3.2.8.1.1.7":  "brainpoolP256r1",
		"1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
		"1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
		"1.2.156.10197.1.301":   "SM2",
	}
)

func curveName(oid asn1.ObjectIdentifier) string {
	if name, ok := curveNames[oid.String()]; ok {
		return name
	}
	// The OID itself is not echoed: it came from the input.
	return "other than P-256"
}

// derKind is the structure a private key was found in.
type derKind int

const (
	kindPKCS8 derKind = iota + 1
	kindSEC1
)

// pkcs8 and ecPrivateKey (SEC 1, RFC 5915) are peeks at what crypto/x509
// does not show: which algorithm and curve a key names, and the public
// point stored next to the private number. Parameters is raw so that
// explicit curve parameters can be told from a named curve.
type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	Parameters asn1.RawValue  `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
}

// parseDER finds an ECDSA P-256 private key in der, which is PKCS#8 or SEC 1,
// through crypto/x509. hint is the curve of an EC PARAMETERS block found
// next to it, if any. What is not such a key is classified as precisely as
// the structure allows.
func parseDER(der []byte, hint asn1.ObjectIdentifier) (*ecdsa.PrivateKey, derKind, error) {
	tags, err := checkFraming(der)
	if err != nil {
		return nil, 0, err
	}
	var p8 pkcs8
	var ec ecPrivateKey
	switch {
	case startsWith(tags, asn1.TagInteger, asn1.TagSequence, asn1.TagOctetString):
		if _, err := asn1.Unmarshal(der, &p8); err != nil {
			return nil, 0, errCorrupt("a PKCS#8 private key whose structure is damaged")
		}
		k, err := parsePKCS8(der, &p8)
		return k, kindPKCS8, err
	case startsWith(tags, asn1.TagInteger, asn1.TagOctetString):
		if _, err := asn1.Unmarshal(der, &ec); err != nil {
			return nil, 0, errCorrupt("a SEC 1 EC private key whose structure is damaged")
		}
		k, err := parseSEC1(der, &ec, hint)
		return k, kindSEC1, err
	}
	return nil, 0, notAKey(der, tags)
}

// startsWith reports whether the universal tags of the first elements
// are want.
func startsWith(tags []int, want ...int) bool {
	return len(tags) >= len(want) && slices.Equal(tags[:len(want)], want)
}

// checkFraming checks that der is one whole SEQUENCE of DER elements,
// telling a value cut short from one with something appended, and returns
// the tags of its elements (-1 for a tag that is not universal).
func checkFraming(der []byte) ([]int, error) {
	if declared, ok := derLength(der); ok && der[0] == 0x30 && declared > len(der) {
		return nil, errCorrupt(fmt.Sprintf("key data that ends early (%d of %d bytes)", len(der), declared))
	}
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(der, &outer)
	switch {
	case err != nil:
		return nil, errCorrupt("key data that is not valid DER")
	case outer.Class != asn1.ClassUniversal || outer.Tag != asn1.TagSequence || !outer.IsCompound:
		return nil, errUnrecognised("binary (DER) data that is not a private key")
	case len(rest) > 0:
		return nil, errCorrupt(fmt.Sprintf("%d extra bytes after the key data", len(rest)))
	}
	return elementTags(outer.Bytes)
}

// elementTags returns the tags of the DER elements in b, of which no key
// has many.
func elementTags(b []byte) ([]int, error) {
	var tags []int
	for len(b) > 0 {
		if len(tags) == 32 {
			return nil, errUnrecognised("binary (DER) data that is not a private key")
		}
		var e asn1.RawValue
		var err error
		if b, err = asn1.Unmarshal(b, &e); err != nil {
			return nil, errCorrupt("key data that is not valid DER")
		}
		tag := e.Tag
		if e.Class != asn1.ClassUniversal {
			tag = -1
		}
		tags = append(tags, tag)
	}
	return tags, nil
}

// derLength returns the total length (header included) that the DER
// element at the start of b declares.
func derLength(b []byte) (int, bool) {
	if len(b) < 2 {
		return 0, false
	}
	l := int(b[1])
	if l < 0x80 {
		return 2 + l, true
	}
	n := l & 0x7f
	if n == 0 || n > 3 || len(b) < 2+n {
		return 0, false
	}
	l = 0
	for _, c := range b[2 : 2+n] {
		l = l<<8 | int(c)
	}
	return 2 + n + l, true
}

func parsePKCS8(der []byte, p *pkcs8) (*ecdsa.PrivateKey, error) {
	if p.Version != 0 && p.Version != 1 {
		return nil, errCorrupt("a PKCS#8 private key whose structure is damaged")
	}
	if p.Algo.Algorithm.Equal(oidPublicKeyEC) {
		return parsePKCS8EC(p)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		key = nil // x509 does not know the algorithm, or the key is damaged
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		return nil, errRSA()
	case ed25519.PrivateKey:
		return nil, errOtherKeyType("Ed25519")
	case *ecdh.PrivateKey:
		return nil, errOtherKeyType("X25519")
	}
	switch name := algorithmNames[p.Algo.Algorithm.String()]; name {
	case "":
		return nil, errUnrecognised("a private key of a type the action does not know")
	case "RSA":
		return nil, errRSA()
	default:
		return nil, errOtherKeyType(name)
	}
}

// parsePKCS8EC reads the SEC 1 key inside an EC key in PKCS#8.
func parsePKCS8EC(p *pkcs8) (*ecdsa.PrivateKey, error) {
	outer, err := curveParam(p.Algo.Parameters)
	if err != nil {
		return nil, err
	}
	var ec ecPrivateKey
	if _, err := asn1.Unmarshal(p.PrivateKey, &ec); err != nil || ec.Version != 1 {
		if outer != nil && !outer.Equal(oidCurveP256) {
			return nil, errCurve(curveName(outer))
		}
		return nil, errCorrupt("a PKCS#8 EC private key whose inner structure is damaged")
	}
	return parseSEC1(p.PrivateKey, &ec, outer)
}

// parseSEC1 reads a SEC 1 key through crypto/x509, after checking what x509
// would not say: which curve it is on (its own parameters, else outer:
// PKCS#8's or an EC PARAMETERS block's), whether its private number fits,
// and that its public part belongs to it. A key on P-256 that does not name
// its curve itself is handed to x509 the way PKCS#8 names the curve.
func parseSEC1(der []byte, ec *ecPrivateKey, outer asn1.ObjectIdentifier) (*ecdsa.PrivateKey, error) {
	if ec.Version != 1 {
		return nil, errCorrupt("a SEC 1 EC private key whose structure is damaged")
	}
	inside, err := checkCurve(ec, outer)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimLeft(ec.PrivateKey, "\x00")) > 32 {
		return nil, errCorrupt("a P-256 private key whose private number is too long")
	}
	var k *ecdsa.PrivateKey
	if inside {
		k, err = x509.ParseECPrivateKey(der)
	} else {
		k, err = parseInPKCS8(der)
	}
	if err != nil {
		return nil, errCorrupt("a P-256 private key whose private number is out of range")
	}
	return k, checkPublic(k, ec)
}

// parseInPKCS8 parses a SEC 1 key that does not name its curve as P-256.
func parseInPKCS8(sec1 []byte) (*ecdsa.PrivateKey, error) {
	p8, err := pkcs8Of(sec1)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParsePKCS8PrivateKey(p8)
	if err != nil {
		return nil, err
	}
	return key.(*ecdsa.PrivateKey), nil
}

// checkCurve checks that SEC 1 structure ec is on P-256: its own curve if
// it names one (inside), else outer.
func checkCurve(ec *ecPrivateKey, outer asn1.ObjectIdentifier) (inside bool, err error) {
	curve := outer
	if len(ec.Parameters.FullBytes) > 0 {
		// [0] EXPLICIT: Parameters.Bytes holds the inner element.
		var params asn1.RawValue
		if _, err := asn1.Unmarshal(ec.Parameters.Bytes, &params); err != nil {
			return false, errCorrupt("EC curve parameters that are damaged")
		}
		oid, err := curveParam(params)
		if err != nil {
			return false, err
		}
		if oid != nil {
			curve, inside = oid, true
		}
	}
	switch {
	case curve == nil:
		return false, errCurveMissing()
	case !curve.Equal(oidCurveP256):
		return false, errCurve(curveName(curve))
	}
	return inside, nil
}

// curveParam reads the curve from EC domain parameters: nil when absent or
// NULL, an error when they are explicit or damaged.
func curveParam(v asn1.RawValue) (asn1.ObjectIdentifier, error) {
	if len(v.FullBytes) == 0 || (v.Class == asn1.ClassUniversal && v.Tag == asn1.TagNull) {
		return nil, nil
	}
	if v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence {
		return nil, errCurveExplicit()
	}
	var oid asn1.ObjectIdentifier
	if rest, err := asn1.Unmarshal(v.FullBytes, &oid); err != nil || len(rest) > 0 {
		return nil, errCorrupt("EC curve parameters that are damaged")
	}
	return oid, nil
}

// checkPublic checks that the public point stored with the key, if any,
// belongs to it: crypto/x509 ignores it, and a private number changed by
// one character is still a valid one.
func checkPublic(k *ecdsa.PrivateKey, ec *ecPrivateKey) error {
	if ec.PublicKey.BitLength > 0 && !publicMatches(k, ec.PublicKey.Bytes) {
		return errCorrupt("a P-256 private key whose public part does not belong to it")
	}
	return nil
}

// publicMatches reports whether point (uncompressed or compressed SEC 1
// encoding) is the public key of priv.
func publicMatches(priv *ecdsa.PrivateKey, point []byte) bool {
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return false
	}
	switch {
	case len(point) == len(pub) && point[0] == 4:
		return bytes.Equal(point, pub)
	case len(point) == 1+32 && (point[0] == 2 || point[0] == 3):
		x := pub[1 : 1+32]
		yOdd := new(big.Int).SetBytes(pub[1+32:]).Bit(0) == 1
		return bytes.Equal(point[1:], x) && yOdd == (point[0] == 3)
	}
	return false
}

// notAKey says what DER that is neither PKCS#8 nor SEC 1 is, from the tags
// of its elements: crypto/x509 refuses an encrypted PKCS#8 key, a DSA key
// and a .p12 bundle without saying so, and names nothing it cannot parse
// (an RSA key with a damaged number, the public key of an algorithm it does
// not know), which is still the wrong value in the secret.
func notAKey(der []byte, tags []int) error {
	const tInt, tSeq, tOcts, tBits = asn1.TagInteger, asn1.TagSequence, asn1.TagOctetString, asn1.TagBitString
	ints := len(tags) // a SEQUENCE of INTEGERs, as PKCS#1 and DSA keys are
	if slices.ContainsFunc(tags, func(t int) bool { return t != tInt }) {
		ints = 0
	}
	switch {
	case len(tags) == 2 && startsWith(tags, tSeq, tOcts):
		return errEncrypted("an encrypted private key (ENCRYPTED PRIVATE KEY)")
	case len(tags) == 2 && startsWith(tags, tSeq, tBits):
		return errPublicKey("a PUBLIC KEY")
	case ints == 2:
		return errPublicKey("an RSA PUBLIC KEY")
	case ints >= 9:
		return errRSA()
	case ints == 6:
		return errOtherKeyType("DSA")
	case len(tags) == 3 && startsWith(tags, tSeq, tSeq, tBits):
		return errCertificate("certificate", "a CERTIFICATE (or certificate request)")
	case startsWith(tags, tInt, tSeq) && isPKCS12(der):
		return errCertificate(".p12 file",
			"a PKCS#12 (.p12) bundle like the certificate exports of Keychain Access")
	}
	return errUnrecognised("binary (DER) data that is not a private key")
}

// isPKCS12: version 3 first, as a PFX has it.
func isPKCS12(der []byte) bool {
	var v struct {
		Version int
		Rest    asn1.RawValue
	}
	_, err := asn1.Unmarshal(der, &v)
	return err == nil && v.Version == 3
}

// marshalKey returns the PKCS#8 and SEC 1 DER of priv in the layout App
// Store Connect uses: x509's SEC 1 (curve and public point inside) in a
// PKCS#8 that names the curve too.
func marshalKey(priv *ecdsa.PrivateKey) (p8, sec1 []byte, err error) {
	sec1, err = x509.MarshalECPrivateKey(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to encode private key: %w", err)
	}
	p8, err = pkcs8Of(sec1)
	return p8, sec1, err
}

// pkcs8Of wraps the SEC 1 DER of a P-256 key in PKCS#8.
func pkcs8Of(sec1 []byte) ([]byte, error) {
	params, err := asn1.Marshal(oidCurveP256)
	if err != nil {
		return nil, fmt.Errorf("failed to marshal curve: %w", err)
	}
	p8, err := asn1.Marshal(pkcs8{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: oidPublicKeyEC, Parameters: asn1.RawValue{FullBytes: params}},
		PrivateKey: sec1,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to marshal PKCS#8 key: %w", err)
	}
	return p8, nil
}
