package googlestandin

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/url"
	"strings"
)

// KeyFile writes a service-account key file in the format Google Cloud
// downloads, for a throwaway key registered with the stand-in. tokenURI is
// where the key's assertions go, normally the stand-in's baseURL + "/token";
// client_x509_cert_url then names the stand-in's certificate list of email,
// so a run reads the key's lifetime from the stand-in, never from Google.
func KeyFile(email, keyID, projectID, tokenURI string, priv *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the private key: %w", err)
	}
	fields := []struct{ name, value string }{
		{"type", "service_account"},
		{"project_id", projectID},
		{"private_key_id", keyID},
		{"private_key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))},
		{"client_email", email},
		{"client_id", "100000000000000000001"},
		{"auth_uri", "https://accounts.google.com/o/oauth2/auth"},
		{"token_uri", tokenURI},
		{"auth_provider_x509_cert_url", "https://www.googleapis.com/oauth2/v1/certs"},
		{"client_x509_cert_url", certURLFor(tokenURI, email)},
		{"universe_domain", "googleapis.com"},
	}
	var b strings.Builder
	b.WriteString("{\n")
	for i, f := range fields {
		v, err := json.Marshal(f.value)
		if err != nil {
			return nil, fmt.Errorf("failed to encode %s: %w", f.name, err)
		}
		fmt.Fprintf(&b, "  %q: %s", f.name, v)
		if i < len(fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("}\n")
	return []byte(b.String()), nil
}

// certURLFor is the stand-in's certificate list when tokenURI is the
// stand-in's token endpoint on loopback, else Google's.
func certURLFor(tokenURI, email string) string {
	if base, ok := strings.CutSuffix(tokenURI, "/token"); ok {
		if u, err := url.Parse(base); err == nil && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1") {
			return CertURL(base, email)
		}
	}
	return "https://www.googleapis.com/robot/v1/metadata/x509/" + escapeEmail(email)
}
