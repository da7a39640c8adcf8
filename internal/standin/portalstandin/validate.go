package portalstandin

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"regexp"
	"strings"
)

var (
	keyIDPattern = regexp.MustCompile(`^[A-Z0-9]{10}$`)
	uuidPattern  = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)
)

// minRSAKeyBits is what Google issues; anything shorter is not a real key.
const minRSAKeyBits = 2048

// Fingerprint computes contract v1's fingerprint of a public key: "SHA256:" +
// unpadded standard base64 of SHA-256 over its DER SubjectPublicKeyInfo. It
// is written here on purpose rather than shared with internal/asckey, so the
// stand-in checks the action instead of agreeing with it by construction.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// parsePKCS8 decodes a PEM holding exactly one unencrypted PKCS#8 private key.
// The problems it returns never quote the input.
func parsePKCS8(field, text string) (any, string) {
	if strings.TrimSpace(text) == "" {
		return nil, field + " is missing"
	}
	block, rest := pem.Decode([]byte(text))
	switch {
	case block == nil:
		return nil, field + " is not a PEM block"
	case strings.TrimSpace(string(rest)) != "":
		return nil, field + " has data after the PEM block"
	case block.Type == "ENCRYPTED PRIVATE KEY" || block.Headers["Proc-Type"] != "":
		return nil, field + " is encrypted; send the unencrypted key"
	case block.Type == "EC PRIVATE KEY":
		return nil, field + " is a SEC1 EC PRIVATE KEY; send PKCS#8 (PEM type PRIVATE KEY)"
	case block.Type == "RSA PRIVATE KEY":
		return nil, field + " is a PKCS#1 RSA PRIVATE KEY; send PKCS#8 (PEM type PRIVATE KEY)"
	case block.Type != "PRIVATE KEY":
		return nil, field + " is not a private key (PEM type is not PRIVATE KEY)"
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, field + " is not a valid PKCS#8 private key"
	}
	return key, ""
}

// validateIOS checks a PUT of an App Store Connect key and returns the
// fingerprint, or the problem for a 422.
func validateIOS(keyID, issuerID, privateKey string) (fingerprint, problem string) {
	switch {
	case keyID == "":
		return "", "keyId is missing"
	case !keyIDPattern.MatchString(keyID):
		return "", "keyId must be 10 upper-case letters or digits"
	case issuerID == "":
		return "", "issuerId is missing"
	case !uuidPattern.MatchString(issuerID):
		return "", "issuerId must be a UUID"
	}
	key, problem := parsePKCS8("privateKey", privateKey)
	if problem != "" {
		return "", problem
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return "", "privateKey is not an ECDSA key; App Store Connect keys are ECDSA P-256"
	}
	if ec.Curve != elliptic.P256() {
		return "", "privateKey is on curve " + ec.Curve.Params().Name + ", want P-256"
	}
	fp, err := Fingerprint(&ec.PublicKey)
	if err != nil {
		return "", "privateKey has no usable public key"
	}
	return fp, ""
}

type serviceAccount struct {
	clientEmail, privateKeyID, fingerprint string
}

// validateAndroid checks the service-account JSON of a PUT.
func validateAndroid(text string) (serviceAccount, string) {
	if strings.TrimSpace(text) == "" {
		return serviceAccount{}, "serviceAccountJson is missing"
	}
	var sa struct {
		Type         string `json:"type"`
		ClientEmail  string `json:"client_email"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
	}
	if !strings.HasPrefix(strings.TrimSpace(text), "{") || json.Unmarshal([]byte(text), &sa) != nil {
		return serviceAccount{}, "serviceAccountJson is not a JSON object with string fields"
	}
	switch {
	case sa.Type != "service_account":
		return serviceAccount{}, `serviceAccountJson: type must be "service_account"`
	case sa.ClientEmail == "" || !strings.Contains(sa.ClientEmail, "@"):
		return serviceAccount{}, "serviceAccountJson: client_email is missing or not an e-mail address"
	case sa.PrivateKeyID == "":
		return serviceAccount{}, "serviceAccountJson: private_key_id is missing"
	}
	key, problem := parsePKCS8("serviceAccountJson: private_key", sa.PrivateKey)
	if problem != "" {
		return serviceAccount{}, problem
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return serviceAccount{}, "serviceAccountJson: private_key is not an RSA key"
	}
	if rk.N.BitLen() < minRSAKeyBits {
		return serviceAccount{}, "serviceAccountJson: private_key is shorter than 2048 bits"
	}
	fp, err := Fingerprint(&rk.PublicKey)
	if err != nil {
		return serviceAccount{}, "serviceAccountJson: private_key has no usable public key"
	}
	return serviceAccount{clientEmail: sa.ClientEmail, privateKeyID: sa.PrivateKeyID, fingerprint: fp}, ""
}
