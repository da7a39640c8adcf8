package playkey

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// minRSABits is the size of the keys Google Cloud creates and accepts.
const minRSABits = 2048

var (
	// escapes matches \n and \r written out, also doubled or tripled by
	// tools that escaped the JSON once more (\\n in the file).
	escapes = regexp.MustCompile(`\\+[nr]`)
	// armor matches one PEM block whatever happened to its line breaks.
	armor = regexp.MustCompile(`(?s)-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----`)
	space = regexp.MustCompile(`\s+`)
)

// parsePrivateKey reads the private_key field: a PKCS#8 PEM as Google writes
// it, or the same with \n escapes left in, without line breaks, without the
// BEGIN/END lines, or as a PKCS#1 RSA PRIVATE KEY. notes say what was repaired.
func parsePrivateKey(s string) (*rsa.PrivateKey, []string, error) {
	var notes []string
	if escapes.MatchString(s) {
		s = escapes.ReplaceAllStringFunc(s, func(m string) string {
			if strings.HasSuffix(m, "r") {
				return ""
			}
			return "\n"
		})
		notes = append(notes, `private_key with literal \n escapes (doubled \\n in the JSON)`)
	}
	s = strings.TrimSpace(strings.ReplaceAll(s, "\r", ""))
	if s == "" {
		return nil, nil, causeErr(KindMissingField, CauseEmptyKey, "field private_key of the Play service-account key is empty")
	}

	block, _ := pem.Decode([]byte(s))
	if block == nil {
		m := armor.FindStringSubmatch(s)
		switch {
		case m != nil:
			if m[1] != m[3] {
				return nil, nil, causeErr(KindPrivateKey, CauseArmour,
					"field private_key of the Play service-account key has BEGIN and END lines that name different types, so it was edited or pasted together")
			}
			der, err := base64.StdEncoding.DecodeString(space.ReplaceAllString(m[2], ""))
			if err != nil {
				return nil, nil, damagedKey()
			}
			block = &pem.Block{Type: m[1], Bytes: der}
			notes = append(notes, "private_key PEM without line breaks")
		case strings.Contains(s, "-----BEGIN"):
			return nil, nil, causeErr(KindPrivateKey, CauseCut,
				"field private_key of the Play service-account key has a BEGIN line but no END line: the key was cut short")
		default:
			der, err := base64.StdEncoding.DecodeString(space.ReplaceAllString(s, ""))
			if err != nil {
				return nil, nil, causeErr(KindPrivateKey, CauseNotPEM,
					"field private_key of the Play service-account key is not a PEM private key")
			}
			block = &pem.Block{Bytes: der}
			notes = append(notes, "private_key without BEGIN/END lines")
		}
	}
	if len(block.Headers) > 0 && strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
		return nil, nil, encryptedKey()
	}

	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY", "":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			if k, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 == nil {
				key, err = k, nil
				notes = append(notes, "PKCS#1 RSA private key")
			} else if _, err2 := x509.ParseECPrivateKey(block.Bytes); err2 == nil {
				return nil, nil, ascKeyInJSON()
			}
		}
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		notes = append(notes, "PKCS#1 RSA PRIVATE KEY")
	case "EC PRIVATE KEY":
		return nil, nil, ascKeyInJSON()
	case "ENCRYPTED PRIVATE KEY":
		return nil, nil, encryptedKey()
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, nil, causeErr(KindPrivateKey, CauseNotRSAFile,
			"field private_key of the Play service-account key holds a public key or certificate, not a private key")
	default:
		return nil, nil, causeErr(KindPrivateKey, CauseNotRSAFile,
			"field private_key of the Play service-account key holds a PEM block that is not a private key")
	}
	if err != nil {
		return nil, nil, damagedKey()
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < minRSABits {
			return nil, nil, causeErr(KindPrivateKey, CauseNotRSAFile, fmt.Sprintf(
				"field private_key of the Play service-account key is a %d-bit RSA key; Google Cloud keys have %d bits", bits, minRSABits))
		}
		return k, notes, nil
	case *ecdsa.PrivateKey:
		return nil, nil, ascKeyInJSON()
	case ed25519.PrivateKey:
		return nil, nil, causeErr(KindPrivateKey, CauseNotRSAFile,
			"field private_key of the Play service-account key is an Ed25519 key; Google service-account keys are RSA")
	}
	return nil, nil, causeErr(KindPrivateKey, CauseNotRSAFile,
		"field private_key of the Play service-account key is not an RSA key")
}

func damagedKey() *IntakeError {
	return causeErr(KindPrivateKey, CauseDamaged,
		"field private_key of the Play service-account key is damaged (cut short or edited), so it cannot be read")
}

func encryptedKey() *IntakeError {
	return intakeErr(KindEncrypted,
		"field private_key of the Play service-account key is encrypted with a passphrase; Google Cloud key files hold an unencrypted key")
}

func ascKeyInJSON() *IntakeError {
	return causeErr(KindASCKey, CauseInJSON,
		"field private_key holds an EC private key like an App Store Connect .p8 key; Google service-account keys are RSA")
}

// encodePKCS8 writes k as Google does: a PKCS#8 PEM with 64-character lines,
// LF line ends and a final newline.
func encodePKCS8(k *rsa.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return "", errors.New("failed to encode the private key as PKCS#8")
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), nil
}
