package asckey

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

var (
	oidPublicKeyEC = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidCurveP256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}
)

// Algorithms of PKCS#8 keys that are not App Store Connect keys, by name.
var otherAlgorithms = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, "DSA"},
	{asn1.ObjectIdentifier{1, 3, 101, 110}, "X25519"},
	{asn1.ObjectIdentifier{1, 3, 101, 111}, "X448"},
	{asn1.ObjectIdentifier{1, 3, 101, 112}, "Ed25519"},
	{asn1.ObjectIdentifier{1, 3, 101, 113}, "Ed448"},
	{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 3, 1}, "Diffie-Hellman"},
	{asn1.ObjectIdentifier{1, 2, 840, 10046, 2, 1}, "Diffie-Hellman"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}, "ML-DSA-44"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}, "ML-DSA-65"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}, "ML-DSA-87"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 1}, "ML-KEM-512"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 2}, "ML-KEM-768"},
	{asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 4, 3}, "ML-KEM-1024"},
}

var rsaAlgorithms = []asn1.ObjectIdentifier{
	{1, 2, 840, 113549, 1, 1, 1},  // rsaEncryption
	{1, 2, 840, 113549, 1, 1, 10}, // RSASSA-PSS
}

// Named curves other than P-256, so that the error can name them. Go's
// crypto/x509 knows only the NIST curves, hence this table.
var curveNames = []struct {
	oid  asn1.ObjectIdentifier
	name string
}{
	{asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 1}, "P-192"},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 33}, "P-224"},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 34}, "P-384"},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 35}, "P-521"},
	{asn1.ObjectIdentifier{1, 3, 132, 0, 10}, "secp256k1"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 7}, "brainpoolP256r1"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 11}, "brainpoolP384r1"},
	{asn1.ObjectIdentifier{1, 3, 36, 3, 3, 2, 8, 1, 1, 13}, "brainpoolP512r1"},
	{asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301}, "SM2"},
}

func curveName(oid asn1.ObjectIdentifier) string {
	for _, c := range curveNames {
		if c.oid.Equal(oid) {
			return c.name
		}
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

// ecPrivateKey is SEC 1 / RFC 5915 ECPrivateKey. Parameters is raw so that
// explicit curve parameters can be told from a named curve.
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	Parameters asn1.RawValue  `asn1:"optional,explicit,tag:0"`
	PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
}

type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// ecPrivateKeyOut and pkcs8Out are what the encoders write. Key.PKCS8PEM
// holds the layout of the .p8 files App Store Connect hands out (named
// curve and public key inside the SEC 1 structure), so an untouched
// download comes out byte for byte as it went in; the masks are also
// registered for the layouts other tools write, which leave out the curve
// or the point (see ecParts.layouts).
type ecPrivateKeyOut struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
}

type pkcs8Out struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

// parseDER finds an ECDSA P-256 private key in der, which is PKCS#8 or SEC 1.
// hint is the curve of an EC PARAMETERS block found next to it, if any.
// Everything else is classified as precisely as the structure allows.
func parseDER(der []byte, hint asn1.ObjectIdentifier) (*ecdsa.PrivateKey, derKind, error) {
	elems, err := topElements(der)
	if err != nil {
		return nil, 0, err
	}
	tags := make([]int, len(elems))
	for i, e := range elems {
		tags[i] = e.Tag
		if e.Class != asn1.ClassUniversal {
			tags[i] = -1 - e.Tag // context-specific [n] → -1-n
		}
	}
	const (
		tInt  = asn1.TagInteger
		tOcts = asn1.TagOctetString
		tSeq  = asn1.TagSequence
		tBits = asn1.TagBitString
	)
	is := func(want ...int) bool { // tags start with want
		if len(tags) < len(want) {
			return false
		}
		for i, w := range want {
			if tags[i] != w {
				return false
			}
		}
		return true
	}
	allInts := func() bool {
		for _, t := range tags {
			if t != tInt {
				return false
			}
		}
		return true
	}
	switch {
	case is(tInt, tSeq, tOcts):
		k, err := parsePKCS8(der, hint)
		return k, kindPKCS8, err
	case is(tInt, tOcts):
		var ec ecPrivateKey
		if _, err := asn1.Unmarshal(der, &ec); err != nil || ec.Version != 1 {
			return nil, 0, errCorrupt("a SEC 1 EC private key whose structure is damaged")
		}
		k, err := ecKey(&ec, hint)
		return k, kindSEC1, err
	case len(tags) == 2 && is(tSeq, tOcts):
		return nil, 0, errEncrypted("an encrypted private key (ENCRYPTED PRIVATE KEY)")
	case len(tags) == 2 && is(tSeq, tBits):
		return nil, 0, errPublicKey("a PUBLIC KEY")
	case len(tags) == 2 && is(tInt, tInt):
		return nil, 0, errPublicKey("an RSA PUBLIC KEY")
	case len(tags) >= 9 && allInts():
		return nil, 0, errRSA()
	case len(tags) == 6 && allInts():
		return nil, 0, errOtherKeyType("DSA")
	case len(tags) == 3 && is(tSeq, tSeq, tBits):
		return nil, 0, errCertificate("App Store Connect key is a certificate", "a CERTIFICATE (or certificate request)")
	case is(tInt, tSeq) && isSmallInt(elems[0], 3):
		return nil, 0, errCertificate("App Store Connect key is a .p12 file",
			"a PKCS#12 (.p12) bundle like the certificate exports of Keychain Access")
	}
	return nil, 0, errUnrecognised("binary (DER) data that is not a private key")
}

func isSmallInt(v asn1.RawValue, want int) bool {
	var n int
	_, err := asn1.Unmarshal(v.FullBytes, &n)
	return err == nil && n == want
}

// topElements returns the elements of the outer SEQUENCE of der, which
// must be all of der.
func topElements(der []byte) ([]asn1.RawValue, error) {
	if len(der) >= 2 && der[0] == 0x30 {
		if declared, ok := derLength(der); ok && declared > len(der) {
			return nil, errCorrupt(fmt.Sprintf("key data that ends early (%d of %d bytes)", len(der), declared))
		}
	}
	var outer asn1.RawValue
	rest, err := asn1.Unmarshal(der, &outer)
	if err != nil {
		return nil, errCorrupt("key data that is not valid DER")
	}
	if outer.Class != asn1.ClassUniversal || outer.Tag != asn1.TagSequence || !outer.IsCompound {
		return nil, errUnrecognised("binary (DER) data that is not a private key")
	}
	if len(rest) > 0 {
		return nil, errCorrupt(fmt.Sprintf("%d extra bytes after the key data", len(rest)))
	}
	var elems []asn1.RawValue
	b := outer.Bytes
	for len(b) > 0 {
		if len(elems) == 32 {
			return nil, errUnrecognised("binary (DER) data that is not a private key")
		}
		var e asn1.RawValue
		b, err = asn1.Unmarshal(b, &e)
		if err != nil {
			return nil, errCorrupt("key data that is not valid DER")
		}
		elems = append(elems, e)
	}
	return elems, nil
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

func parsePKCS8(der []byte, hint asn1.ObjectIdentifier) (*ecdsa.PrivateKey, error) {
	var p pkcs8
	if _, err := asn1.Unmarshal(der, &p); err != nil || (p.Version != 0 && p.Version != 1) {
		return nil, errCorrupt("a PKCS#8 private key whose structure is damaged")
	}
	alg := p.Algo.Algorithm
	for _, r := range rsaAlgorithms {
		if alg.Equal(r) {
			return nil, errRSA()
		}
	}
	for _, o := range otherAlgorithms {
		if alg.Equal(o.oid) {
			return nil, errOtherKeyType(o.name)
		}
	}
	if !alg.Equal(oidPublicKeyEC) {
		return nil, errUnrecognised("a private key of a type the action does not know")
	}
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
	if outer != nil {
		hint = outer
	}
	return ecKey(&ec, hint)
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

// ecKey builds the P-256 key from a SEC 1 structure, after checking its
// curve (its own parameters take precedence over hint) and that its public
// part, if present, belongs to it.
func ecKey(ec *ecPrivateKey, hint asn1.ObjectIdentifier) (*ecdsa.PrivateKey, error) {
	curve := hint
	if len(ec.Parameters.FullBytes) > 0 {
		// [0] EXPLICIT: Parameters.Bytes holds the inner element.
		var inner asn1.RawValue
		if _, err := asn1.Unmarshal(ec.Parameters.Bytes, &inner); err != nil {
			return nil, errCorrupt("EC curve parameters that are damaged")
		}
		oid, err := curveParam(inner)
		if err != nil {
			return nil, err
		}
		if oid != nil {
			curve = oid
		}
	}
	if curve == nil {
		return nil, errCurveMissing()
	}
	if !curve.Equal(oidCurveP256) {
		return nil, errCurve(curveName(curve))
	}
	d := ec.PrivateKey
	const size = 32
	for len(d) > size && d[0] == 0 {
		d = d[1:]
	}
	if len(d) > size {
		return nil, errCorrupt("a P-256 private key whose private number is too long")
	}
	if len(d) < size {
		d = append(make([]byte, size-len(d)), d...)
	}
	priv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d)
	if err != nil {
		return nil, errCorrupt("a P-256 private key whose private number is out of range")
	}
	if ec.PublicKey.BitLength > 0 && !publicMatches(priv, ec.PublicKey.Bytes) {
		return nil, errCorrupt("a P-256 private key whose public part does not belong to it")
	}
	return priv, nil
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

// marshalKey returns the PKCS#8 and SEC 1 DER of priv in the layout App
// Store Connect uses.
func marshalKey(priv *ecdsa.PrivateKey) (p8, sec1 []byte, err error) {
	p, err := canonicalParts(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to encode private key: %w", err)
	}
	return encodeEC(p.d, p.pub, true)
}

// encodeEC returns the PKCS#8 and SEC 1 DER of a P-256 key whose private
// number is d and public point pub (left out when empty). curveInside
// names the curve in the SEC 1 structure too, not only in PKCS#8's
// AlgorithmIdentifier.
func encodeEC(d, pub []byte, curveInside bool) (p8, sec1 []byte, err error) {
	ec := ecPrivateKeyOut{Version: 1, PrivateKey: d}
	if curveInside {
		ec.NamedCurveOID = oidCurveP256
	}
	if len(pub) > 0 {
		ec.PublicKey = asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}
	}
	sec1, err = asn1.Marshal(ec)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to marshal SEC 1 key: %w", err)
	}
	params, err := asn1.Marshal(oidCurveP256)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to marshal curve: %w", err)
	}
	p8, err = asn1.Marshal(pkcs8Out{
		Algo:       pkix.AlgorithmIdentifier{Algorithm: oidPublicKeyEC, Parameters: asn1.RawValue{FullBytes: params}},
		PrivateKey: sec1,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to marshal PKCS#8 key: %w", err)
	}
	return p8, sec1, nil
}
