package play

import (
	"testing"

	"github.com/mos-tools/publisher-keys/internal/playkey"
)

// FuzzCertList feeds arbitrary certificate lists to ParseCertList: never a
// panic; a listed key has a creation date and an expiry after it (or none);
// an error is one short line of our own words. Seeds: testdata/fuzz/FuzzCertList.
func FuzzCertList(f *testing.F) {
	key := fuzzKey(f)
	k := &playkey.Key{ClientEmail: "publisher@mos-test.iam.gserviceaccount.com", PrivateKeyID: "k1", Private: key}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"k1":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}`))
	f.Add([]byte(`{"k1":42}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		l, err := ParseCertList(body, k)
		if err != nil {
			if l != (Lifetime{}) {
				t.Fatalf("error %v with a lifetime %+v", err, l)
			}
			if msg := err.Error(); len(msg) > 200 || msg == "" {
				t.Fatalf("error message %q", msg)
			}
			return
		}
		if l.Listed && l.Created.IsZero() {
			t.Fatalf("listed without a creation date: %+v", l)
		}
		if !l.Read {
			t.Fatalf("no error, yet not read: %+v", l)
		}
	})
}
