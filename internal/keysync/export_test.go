package keysync

// explainHook is action.Explain, set by explain_test.go: the words users
// read are the action package's, and this package's internal tests cannot
// import it.
var explainHook func(error) (string, string)

// SetExplain lets the external test package install action.Explain.
func SetExplain(f func(error) (string, string)) { explainHook = f }

// explain returns the title and the message users read for err.
func explain(err error) (title, msg string) { return explainHook(err) }
