package action_test

import (
	"testing"

	"github.com/mos-tools/publisher-keys/internal/action"
	"github.com/mos-tools/publisher-keys/internal/httpx"
)

// The URL inputs' messages, word for word as httpx wrote them before the
// advice moved here.
func TestExplainURLError(t *testing.T) {
	t.Parallel()
	const tail = "; give an https:// URL such as https://portal.example.com (plain http is accepted only for 127.0.0.1, ::1 and localhost)"
	cases := []struct{ in, want string }{
		{"", "input mos-url is empty" + tail},
		{"portal.example.com", "input mos-url is not an absolute URL" + tail},
		{"https://u:p@portal.example.com", "input mos-url contains credentials; pass tokens in their own inputs" + tail},
		{"https://portal.example.com/?a=b", "input mos-url has a query or fragment" + tail},
		{"http://portal.example.com", "input mos-url uses plain http to portal.example.com, which would send secrets unencrypted" + tail},
		{"ftp://portal.example.com", `input mos-url has scheme "ftp"` + tail},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			_, err := httpx.ParseBaseURL("mos-url", tc.in)
			if err == nil {
				t.Fatal("accepted")
			}
			title, msg := action.Explain(err)
			if title != "Invalid mos-url" || msg != tc.want {
				t.Errorf("got %q: %q\nwant %q", title, msg, tc.want)
			}
		})
	}
}
