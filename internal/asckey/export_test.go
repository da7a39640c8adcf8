package asckey

import "testing"

// Rejection is a rejected value with the reason and the title it must get,
// for the tests of the messages the action package builds.
type Rejection struct {
	Name, In string
	Reason   Reason
	Title    string
}

// Rejections are the cases of TestParseRejects.
func Rejections(t testing.TB) []Rejection {
	var rs []Rejection
	for _, r := range rejections(t) {
		rs = append(rs, Rejection{Name: r.name, In: r.in, Reason: r.reason, Title: r.title})
	}
	return rs
}

// Update is the -update flag: rewrite golden files.
var Update = update

// Leaked reports a piece of in that msg quotes.
var Leaked = leaked

// Base64Runs returns the runs of base64-like characters at least n long.
var Base64Runs = base64Runs
