package googlestandin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// CertPath is where the stand-in serves the public certificates of a
// service account's keys, as www.googleapis.com does: CertPath + the
// path-escaped client e-mail.
const CertPath = "/robot/v1/metadata/x509/"

// neverExpires is the notAfter Google writes for a key without an expiry.
var neverExpires = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// validity is a key's lifetime, as its certificate states it.
type validity struct{ notBefore, notAfter time.Time }

// SetKeyValidity sets the lifetime of a key registered with
// AddServiceAccount: its certificate's notBefore and notAfter. After
// notAfter the token endpoint refuses the key, as Google refuses an expired
// key. A zero notAfter means the key never expires (year 9999).
func (s *Server) SetKeyValidity(email, keyID string, notBefore, notAfter time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if notAfter.IsZero() {
		notAfter = neverExpires
	}
	s.validity[email+"\x00"+keyID] = validity{notBefore, notAfter}
}

// DisableKey disables one key of a service account in Google Cloud: Google
// then refuses its signatures and no longer publishes its certificate, as
// for a deleted key.
func (s *Server) DisableKey(email, keyID string) { s.DeleteKey(email, keyID) }

// keyValidity returns a key's lifetime; callers hold s.mu.
func (s *Server) keyValidity(email, keyID string) validity {
	if v, ok := s.validity[email+"\x00"+keyID]; ok {
		return v
	}
	return validity{notBefore: s.started, notAfter: neverExpires}
}

// serveCerts answers the certificate list of one service account: a JSON
// object mapping each key ID to a PEM certificate of the key, valid for the
// key's lifetime. It needs no credentials, like Google's.
func (s *Server) serveCerts(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeAPIError(w, methodNotAllowed())
		return
	}
	email, err := url.PathUnescape(strings.TrimPrefix(r.URL.EscapedPath(), CertPath))
	if err != nil {
		writeAPIError(w, notFoundPath())
		return
	}
	s.mu.Lock()
	acct, ok := s.accounts[email]
	type entry struct {
		pub *rsa.PublicKey
		v   validity
	}
	keys := map[string]entry{}
	if ok {
		for id, pub := range acct.keys {
			keys[id] = entry{pub, s.keyValidity(email, id)}
		}
	}
	s.mu.Unlock()
	if !ok {
		// Google answers 404 with an HTML page for an unknown account.
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<!DOCTYPE html><html><title>Error 404 (Not Found)</title></html>"))
		return
	}
	out := map[string]string{}
	for id, k := range keys {
		pemText, err := s.certificate(email, k.pub, k.v)
		if err != nil {
			http.Error(w, "certificate", http.StatusInternalServerError)
			return
		}
		out[id] = pemText
	}
	writeJSON(w, http.StatusOK, out)
}

// certificate issues an X.509 certificate of pub for the key's lifetime,
// signed by the stand-in's own issuer key (Google self-signs with the key,
// whose private half the stand-in does not have).
func (s *Server) certificate(email string, pub *rsa.PublicKey, v validity) (string, error) {
	s.issuerOnce.Do(func() {
		s.issuer, s.issuerErr = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	})
	if s.issuerErr != nil {
		return "", s.issuerErr
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 63))
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: email},
		Issuer:       pkix.Name{CommonName: email},
		NotBefore:    v.notBefore,
		NotAfter:     v.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	parent := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "googlestandin issuer"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, s.issuer)
	if err != nil {
		return "", err
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), nil
}

// CertURL is the stand-in's certificate list of email, for the key files'
// client_x509_cert_url, given the stand-in's base URL.
func CertURL(baseURL, email string) string {
	return strings.TrimSuffix(baseURL, "/") + CertPath + escapeEmail(email)
}

// escapeEmail path-escapes an e-mail as Google writes it in key files, with
// the @ as %40.
func escapeEmail(email string) string {
	return strings.ReplaceAll(url.PathEscape(email), "@", "%40")
}
