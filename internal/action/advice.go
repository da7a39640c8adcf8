package action

import (
	"strings"
)

// The domain packages say what they found; this file says, at the top,
// which input it concerns and what to do next. An adviser turns one typed
// error into the title and message a user reads.

// adviser returns the title and the full message for err when err itself
// (not an error it wraps) is of a type it knows.
type adviser func(err error) (title, msg string, ok bool)

// advisers are the domain packages' advisers. A function, not a package
// variable: unconfirmedAdvice explains the errors inside it through
// Explain, which would make a variable's initialisation a cycle.
func advisers() []adviser {
	return []adviser{adviseASCKey, advisePlayKey, adviseAppStore, adviseGooglePlay, advisePortal, adviseURL, adviseKeysync}
}

// titled is implemented by the action's own errors, which carry their
// title and advice (InputError, unseenError); the domain packages' errors
// say only what they found and get both from an adviser.
type titled interface{ Title() string }

// Explain returns the title and message users read for err: err's text with
// the text of every typed error in it replaced by its advice, so that the
// context wrapped around it stays, and the title of the outermost error
// that has one. A join is explained error by error, one a line, as
// errors.Join prints it.
func Explain(err error) (title, msg string) {
	msg = err.Error()
	advise(err, func(e error, t, m string) {
		if title == "" {
			title = t
		}
		if m != "" {
			msg = replaceFact(msg, e.Error(), m)
		}
	})
	if title == "" {
		title = "Error"
	}
	return title, msg
}

// replaceFact puts advised in place of the first fact in msg. A wrapper
// that made the fact a sentence ("fact.") does not get a second full stop
// after advice that already ends with one.
func replaceFact(msg, fact, advised string) string {
	i := strings.Index(msg, fact)
	if i < 0 {
		return msg
	}
	after := msg[i+len(fact):]
	if strings.HasSuffix(advised, ".") && strings.HasPrefix(after, ".") {
		after = after[1:]
	}
	return msg[:i] + advised + after
}

// advise calls found for each error in err's tree that an adviser knows or
// that has its own title, outermost first, and does not look inside the
// advised ones.
func advise(err error, found func(e error, title, msg string)) {
	for _, a := range advisers() {
		if t, m, ok := a(err); ok {
			found(err, t, m)
			return
		}
	}
	if t, ok := err.(titled); ok {
		found(err, t.Title(), "")
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			advise(inner, found)
		}
	case interface{ Unwrap() []error }:
		for _, inner := range u.Unwrap() {
			if inner != nil {
				advise(inner, found)
			}
		}
	}
}

// explainText is Explain's message, "" for no error.
func explainText(err error) string {
	if err == nil {
		return ""
	}
	_, msg := Explain(err)
	return msg
}
