// Package fingerprint names a public key without revealing anything, the
// same way for the App Store Connect and the Google Play key, so that the
// action, mos.portal and a person with openssl compare keys alike.
package fingerprint

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
)

// Of identifies a public key: "SHA256:" + unpadded standard base64 of the
// SHA-256 of its DER SubjectPublicKeyInfo (43 characters), as
// `openssl pkey -pubout -outform der | openssl dgst -sha256 -binary | base64`
// gives it. It is the same for every encoding of one key. pub is an
// *ecdsa.PublicKey or *rsa.PublicKey (or the private key of one).
func Of(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case *ecdsa.PrivateKey:
		if k == nil {
			return "", errors.New("no public key")
		}
		pub = &k.PublicKey
	case *rsa.PrivateKey:
		if k == nil {
			return "", errors.New("no public key")
		}
		pub = &k.PublicKey
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if k == nil || k.Curve == nil {
			return "", errors.New("no public key")
		}
	case *rsa.PublicKey:
		if k == nil || k.N == nil {
			return "", errors.New("no public key")
		}
	default:
		return "", fmt.Errorf("unsupported public key type %T", pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("failed to marshal public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}
