package appstore

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mos-tools/publisher-keys/internal/httpx"
)

// A server that quotes part of the token (a proxy cutting a long header, a
// debugging gateway) must not put any of it into a message.
func TestErrorsNeverQuotePartOfTheToken(t *testing.T) {
	t.Parallel()
	e := setup(t, nil)
	token, err := e.client.Signer.Token()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	sig := parts[2]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(appleError(401, "NOT_AUTHORIZED", "Token "+parts[0]+" refused", "Signature "+sig[:40]+" does not verify")))
	}))
	t.Cleanup(srv.Close)
	if e.client.BaseURL, err = httpx.ParseBaseURL("asc-api-url", srv.URL); err != nil {
		t.Fatal(err)
	}

	_, err = e.client.Check(context.Background(), nil)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, piece := range []string{sig[:24], sig[16:40], parts[0][:24]} {
		if strings.Contains(msg, piece) {
			t.Errorf("message quotes part of the token (%q): %s", piece, msg)
		}
	}
	if !strings.Contains(msg, "NOT_AUTHORIZED") || !strings.Contains(msg, testKeyID) {
		t.Errorf("message lost what matters: %s", msg)
	}
}
