package action

import (
	"fmt"

	"github.com/mos-tools/publisher-keys/internal/httpx"
)

// adviseURL words a base URL input refused by httpx.ParseBaseURL.
func adviseURL(err error) (string, string, bool) {
	e, ok := err.(*httpx.URLError)
	if !ok {
		return "", "", false
	}
	reason := e.Reason
	if reason == httpx.ReasonCredentials {
		reason += "; pass tokens in their own inputs"
	}
	return "Invalid " + e.Input, fmt.Sprintf("input %s %s; give an https:// URL such as https://portal.example.com "+
		"(plain http is accepted only for 127.0.0.1, ::1 and localhost)", e.Input, reason), true
}
