package appstore

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary response bodies to the two decoders. Whatever
// comes back, no body text may reach an error about a malformed listing,
// and Apple's error texts, classified as Check classifies them, must make a
// titled, bounded, one-line message. Seeds: testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"data":[{"type":"apps","id":"1","attributes":{"bundleId":"com.example.app"}}],"links":{"self":"x"}}`))
	f.Add([]byte(`{"errors":[{"id":"1","status":"401","code":"NOT_AUTHORIZED","title":"t","detail":"d"}]}`))
	f.Add([]byte(`{"errors":[{"status":"403","code":"FORBIDDEN.REQUIRED_AGREEMENTS_MISSING_OR_EXPIRED","title":"A required agreement is missing or has expired.","detail":"This request requires an in-effect agreement that has not been signed or has expired."}]}`))
	fixed := map[string]bool{
		(&ResponseError{Status: 200, Problem: "a body that is not the expected JSON"}).Error():           true,
		(&ResponseError{Status: 200, Problem: "JSON without the data array of an apps listing"}).Error(): true,
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if _, err := decodeApps(200, body); err != nil && !fixed[err.Error()] {
			t.Errorf("decodeApps error depends on the body: %q", err.Error())
		}
		for _, status := range []int{401, 403, 429, 400, 503} {
			e := classify(&APIError{Status: status, Errors: decodeErrors(body), RateLimit: string(body), KeyID: testKeyID, IssuerID: testIssuerID})
			title, advised := explain(e)
			for _, msg := range []string{e.Error(), title, advised} {
				if strings.ContainsAny(msg, "\r\n") {
					t.Errorf("message spans lines: %q", msg)
				}
				if n := utf8.RuneCountInString(msg); n > 4000 {
					t.Errorf("message has %d runes", n)
				}
			}
		}
	})
}
