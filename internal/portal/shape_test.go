package portal

import (
	"encoding/json"
	"strings"
	"testing"
)

// A key record whose values do not have the contract's shapes is a contract
// violation that names the field and never quotes the value.
func TestRecordShapes(t *testing.T) {
	t.Parallel()
	const (
		fp       = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"
		issuer   = "57246542-96fe-1a63-e053-0824d011072a"
		injected = "X\n::error title=Forged::##[add-mask]"
	)
	ios := func(k, i, f, at string) map[string]string {
		return map[string]string{"keyId": k, "issuerId": i, "fingerprint": f, "uploadedAt": at}
	}
	android := func(e, id, f string) map[string]string {
		return map[string]string{"clientEmail": e, "privateKeyId": id, "fingerprint": f}
	}
	cases := []struct {
		name      string
		android   bool
		rec       map[string]string
		wantField string // "" for a valid record
	}{
		{"valid ios", false, ios("ABCDE12345", issuer, fp, "2025-03-01T12:00:00Z"), ""},
		{"issuer in upper case", false, ios("ABCDE12345", strings.ToUpper(issuer), fp, ""), ""},
		{"keyId with a line break", false, ios("ABCDE12345"+injected, issuer, fp, ""), "keyId"},
		{"keyId in lower case", false, ios("abcde12345", issuer, fp, ""), "keyId"},
		{"issuerId not a UUID", false, ios("ABCDE12345", injected, fp, ""), "issuerId"},
		{"fingerprint too short", false, ios("ABCDE12345", issuer, "SHA256:x", ""), "fingerprint"},
		{"fingerprint padded", false, ios("ABCDE12345", issuer, fp+"=", ""), "fingerprint"},
		{"fingerprint with an injection", false, ios("ABCDE12345", issuer, fp+injected, ""), "fingerprint"},
		{"uploadedAt not RFC 3339", false, ios("ABCDE12345", issuer, fp, injected), "uploadedAt"},
		{"valid android", true, android("keys@acme.iam.gserviceaccount.com", "0123456789abcdef0123456789abcdef01234567", fp), ""},
		{"privateKeyId with an injection", true, android("keys@acme.iam.gserviceaccount.com", "k"+injected, fp), "privateKeyId"},
		{"privateKeyId too long", true, android("keys@acme.iam.gserviceaccount.com", strings.Repeat("a", 129), fp), "privateKeyId"},
		{"clientEmail with an injection", true, android("keys@acme"+injected, "k", fp), "clientEmail"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body, _ := json.Marshal(tc.rec)
			op := call{method: "GET", platform: PlatformIOS, project: "acme", app: "weather"}
			if tc.android {
				op.platform = PlatformAndroid
			}
			_, err := decodeKey(op, 200, body)
			if tc.wantField == "" {
				if err != nil {
					t.Fatalf("valid record refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("record accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantField) {
				t.Errorf("error does not name %s: %s", tc.wantField, msg)
			}
			if strings.Contains(msg, "Forged") || strings.Contains(msg, "::") || strings.Contains(msg, "##[") {
				t.Errorf("error quotes the value: %q", msg)
			}
		})
	}
}
