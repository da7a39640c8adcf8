package portal

import (
	"strings"
	"testing"
)

// A portal that quotes a fragment of the uploaded key (a validator naming
// where the DER broke) must not put it into a message, however short the
// fragment: 24 characters of base64 are already 18 bytes of the key.
func TestSanitizeRedactsKeyFragments(t *testing.T) {
	t.Parallel()
	const body = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgf9/9FsLSNOlRkcBL"
	for _, n := range []int{24, 28, 31} {
		frag := body[30 : 30+n]
		got := sanitize("asn1: structure error near '"+frag+"'", 300, nil)
		if strings.Contains(got, frag[:24]) {
			t.Errorf("a %d-character fragment survives: %q", n, got)
		}
	}
}
