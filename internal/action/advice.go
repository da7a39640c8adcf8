package action

import (
	"errors"
	"strings"
)

// The domain packages say what they found; this file says, at the top,
// which input it concerns and what to do next. An adviser turns one typed
// error into the title and message a user reads.

// adviser returns the title and the full message for err when it knows its
// type; the message replaces err's own text wherever it shows in a chain.
type adviser func(err error) (target error, title, msg string, ok bool)

var advisers = []adviser{adviseASCKey, advisePlayKey, adviseAppStore}

// titled is implemented by the user-facing errors that carry their own
// title (InputError and the typed errors not yet advised here).
type titled interface{ Title() string }

// Explain returns the title and message users read for err (one error, not
// a join): the advice for the typed error it carries, with any context
// wrapped around it kept, or err's own title and text.
func Explain(err error) (title, msg string) {
	for _, a := range advisers {
		if target, t, m, ok := a(err); ok {
			return t, strings.Replace(err.Error(), target.Error(), m, 1)
		}
	}
	title = "Error"
	var t titled
	if errors.As(err, &t) {
		title = t.Title()
	}
	return title, err.Error()
}

// explainText is Explain's message for each error of a join, one a line,
// as errors.Join would print them.
func explainText(err error) string {
	if err == nil {
		return ""
	}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		var lines []string
		for _, e := range joined.Unwrap() {
			lines = append(lines, explainText(e))
		}
		return strings.Join(lines, "\n")
	}
	_, msg := Explain(err)
	return msg
}
