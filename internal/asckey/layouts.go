package asckey

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/asn1"
	"encoding/base64"
	"fmt"
)

// ecParts are what the encodings of an EC private key are made of: the
// private number as the OCTET STRING holds it and the public point (nil
// when the encoding leaves it out).
type ecParts struct {
	d, pub []byte
}

// layout is one DER encoding of a key, with the byte ranges in it that
// belong to this key (its private number and its public point) rather
// than to the ASN.1 structure every P-256 key shares.
type layout struct {
	der []byte
	own [][2]int // [from, to)
}

// layouts returns every standard DER layout of the key made of p:
//
//   - PKCS#8 and SEC 1;
//   - each with the curve named inside the SEC 1 ECPrivateKey (Apple's .p8
//     download; `openssl ec`, Go's x509.MarshalECPrivateKey, Node and
//     Python for SEC 1) and without (the PKCS#8 of OpenSSL's `pkcs8
//     -topk8`, Go's x509.MarshalPKCS8PrivateKey, Node, Python's
//     cryptography and Java, which name the curve only in the
//     AlgorithmIdentifier);
//   - each with the public point and without it (`openssl ec -no_public`;
//     the PKCS#8 that Java writes for the keys it generates and that
//     OpenSSL writes for a key read without its point; BouncyCastle).
//
// That is 8 layouts, 4 when p has no public point. The point itself is
// written as p holds it: OpenSSL keeps a compressed point compressed when
// it re-encodes a key.
func (p ecParts) layouts() ([]layout, error) {
	pubs := [][]byte{nil}
	if len(p.pub) > 0 {
		pubs = [][]byte{p.pub, nil}
	}
	var out []layout
	for _, pub := range pubs {
		for _, curveInside := range []bool{true, false} {
			p8, sec1, err := encodeEC(p.d, pub, curveInside)
			if err != nil {
				return nil, err
			}
			out = append(out, p.locate(sec1, pub), p.locate(p8, pub))
		}
	}
	return out, nil
}

// ecPrivateKeyOut is SEC 1 as the layouts write it: crypto/x509 always
// names the curve and writes the point as it holds it, so the layouts that
// leave one out or keep a point compressed are built with encoding/asn1.
type ecPrivateKeyOut struct {
	Version       int
	PrivateKey    []byte
	NamedCurveOID asn1.ObjectIdentifier `asn1:"optional,explicit,tag:0"`
	PublicKey     asn1.BitString        `asn1:"optional,explicit,tag:1"`
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
	if sec1, err = asn1.Marshal(ec); err != nil {
		return nil, nil, fmt.Errorf("failed to marshal SEC 1 key: %w", err)
	}
	p8, err = pkcs8Of(sec1)
	return p8, sec1, err
}

func (p ecParts) locate(der, pub []byte) layout {
	l := layout{der: der}
	for _, part := range [][]byte{p.d, pub} {
		if i := bytes.Index(der, part); len(part) > 0 && i >= 0 {
			l.own = append(l.own, [2]int{i, i + len(part)})
		}
	}
	return l
}

// pemLineBytes is how many bytes one 64-character PEM body line encodes.
const pemLineBytes = 48

// pemLines returns the 64-character lines of the layout's PEM body: own
// are the lines that encode bytes of this key; shared are the lines made
// only of the structure every P-256 key has (the 4-character "AwEH", the
// end of the curve's OID, that ends SEC 1 with the curve and without the
// point), which are not secret.
func (l layout) pemLines() (own, shared []string) {
	b64 := base64.StdEncoding.EncodeToString(l.der)
	for i := 0; i*64 < len(b64); i++ {
		line := b64[i*64 : min(len(b64), i*64+64)]
		from, to := i*pemLineBytes, min(len(l.der), (i+1)*pemLineBytes)
		if l.covers(from, to) {
			own = append(own, line)
		} else {
			shared = append(shared, line)
		}
	}
	return own, shared
}

// covers reports whether bytes [from, to) hold any of the key's own bytes.
func (l layout) covers(from, to int) bool {
	for _, r := range l.own {
		if from < r[1] && r[0] < to {
			return true
		}
	}
	return false
}

// canonicalParts are the parts of priv as the action normalises them: the
// 32-byte private number and the uncompressed point.
func canonicalParts(priv *ecdsa.PrivateKey) (ecParts, error) {
	d, err := priv.Bytes()
	if err != nil {
		return ecParts{}, err
	}
	pub, err := priv.PublicKey.Bytes()
	if err != nil {
		return ecParts{}, err
	}
	return ecParts{d: d, pub: pub}, nil
}

// receivedParts reads the parts of priv from der as it was received
// (PKCS#8 or SEC 1), so that a re-encoding that keeps them as they came
// (a compressed point, a private number not padded to 32 bytes) is
// covered too. ok is false when der is not an encoding of priv.
func receivedParts(der []byte, priv *ecdsa.PrivateKey, canon ecParts) (ecParts, bool) {
	var p pkcs8
	if rest, err := asn1.Unmarshal(der, &p); err == nil && len(rest) == 0 && p.Algo.Algorithm.Equal(oidPublicKeyEC) {
		der = p.PrivateKey
	}
	var ec ecPrivateKey
	if rest, err := asn1.Unmarshal(der, &ec); err != nil || len(rest) > 0 || ec.Version != 1 {
		return ecParts{}, false
	}
	if !bytes.Equal(bytes.TrimLeft(ec.PrivateKey, "\x00"), bytes.TrimLeft(canon.d, "\x00")) {
		return ecParts{}, false
	}
	got := ecParts{d: ec.PrivateKey}
	if pub := ec.PublicKey.RightAlign(); len(pub) > 0 && publicMatches(priv, pub) {
		got.pub = pub
	}
	return got, true
}
