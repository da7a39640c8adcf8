package action

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mos-tools/publisher-keys/internal/ghout"
)

// GitHub shows at most this many annotations of each level per step and
// drops the rest silently (actions/toolkit, problem-matchers.md).
const maxAnnotations = 10

// Annotation levels, as the seam names them.
const (
	levelError   = ghout.Error
	levelWarning = ghout.Warning
	levelNotice  = ghout.Notice
)

// note is one annotation as the run raised it: about one app (app and
// platform set) or about the run.
type note struct {
	level         ghout.Level
	title, msg    string
	app, platform string
}

// cause is one annotation as it is shown: the notes that say the same once
// their app's name is taken out, with the apps they concern.
type cause struct {
	level ghout.Level
	title string
	text  string   // the message with the app's name as appMark
	first note     // shown as it is when it is the only note
	apps  []appRef // the apps concerned, in the order raised
}

type appRef struct{ app, platform string }

// appMark stands for the app's name in cause.text.
const appMark = "\x00app\x00"

// notes collects the run's annotations, so that one cause concerning many
// apps is shown once and no level exceeds what GitHub shows: the run raises
// them through errorf, warningf, noticef and annotate, and flush emits them
// grouped at the end.
type notes struct {
	mu      sync.Mutex
	list    []note
	flushed bool
	causes  []*cause // as flushed, for the summary
}

// add keeps n for flush; after the flush (a late failure to write the
// report) it is emitted at once.
func (r *run) add(n note) {
	r.notes.mu.Lock()
	if !r.notes.flushed {
		r.notes.list = append(r.notes.list, n)
		r.notes.mu.Unlock()
		return
	}
	r.notes.mu.Unlock()
	r.emit(n.level, n.title, n.msg)
}

// flush emits every cause once, at most maxAnnotations per level: when a
// level has more, the last one shown says how many more there are and that
// the step summary lists them all.
func (r *run) flush() []*cause {
	r.notes.mu.Lock()
	if r.notes.flushed {
		r.notes.mu.Unlock()
		return r.notes.causes
	}
	r.notes.flushed = true
	causes := group(r.notes.list)
	r.notes.causes = causes
	r.notes.mu.Unlock()

	for _, level := range []ghout.Level{levelError, levelWarning, levelNotice} {
		all := ofLevel(causes, level)
		shown := all
		if len(all) > maxAnnotations {
			shown = all[:maxAnnotations-1]
		}
		for _, c := range shown {
			r.emit(level, c.title, c.message())
		}
		if len(shown) < len(all) {
			rest := all[len(shown):]
			r.emit(level, fmt.Sprintf("… and %d more", len(rest)),
				fmt.Sprintf("GitHub shows at most %d %s annotations per step: the step summary lists all %d %ss of this run. Not shown here: %s.",
					maxAnnotations, level, len(all), level, titleCounts(rest)))
		}
	}
	return causes
}

// titleCounts names the causes by title, once each, with how many share
// it: "Unexpected answer from mos.portal (4 causes); Timed out".
func titleCounts(causes []*cause) string {
	var titles []string
	n := map[string]int{}
	for _, c := range causes {
		if n[c.title] == 0 {
			titles = append(titles, c.title)
		}
		n[c.title]++
	}
	for i, t := range titles {
		if n[t] > 1 {
			titles[i] = fmt.Sprintf("%s (%d causes)", t, n[t])
		}
	}
	return strings.Join(titles, "; ")
}

// overflowing is the causes of every level that has more than GitHub shows.
func overflowing(causes []*cause) map[ghout.Level][]*cause {
	out := map[ghout.Level][]*cause{}
	for _, level := range []ghout.Level{levelError, levelWarning, levelNotice} {
		if all := ofLevel(causes, level); len(all) > maxAnnotations {
			out[level] = all
		}
	}
	return out
}

func ofLevel(causes []*cause, level ghout.Level) []*cause {
	var out []*cause
	for _, c := range causes {
		if c.level == level {
			out = append(out, c)
		}
	}
	return out
}

// group merges the notes that are one cause: same level, same title and
// same message once the app's name is taken out, whatever the store.
func group(list []note) []*cause {
	var out []*cause
	byKey := map[string]*cause{}
	for _, n := range list {
		text := n.msg
		if n.app != "" {
			text = withoutApp(n.msg, n.app)
		}
		key := string(n.level) + "\x00" + n.title + "\x00" + text
		c := byKey[key]
		if c == nil {
			c = &cause{level: n.level, title: n.title, text: text, first: n}
			byKey[key] = c
			out = append(out, c)
		}
		if n.app != "" {
			c.apps = append(c.apps, appRef{n.app, n.platform})
		}
	}
	return out
}

// message is what the annotation says. One app: its name first, as the
// message names it. Several: the message without the name, then the apps.
func (c *cause) message() string {
	switch {
	case len(c.apps) == 0:
		return c.first.msg
	case len(c.apps) == 1:
		return fmt.Sprintf("app %s (%s): %s", c.first.app, c.first.platform, c.first.msg)
	}
	text := strings.ReplaceAll(c.text, appMark, "…")
	return fmt.Sprintf("%s Apps affected (%d): %s.", text, len(c.apps), c.appList())
}

// appList names the apps by platform: "weather, news (ios); weather (android)".
// The stores run side by side, so the platforms come in a fixed order (iOS
// first, as the stores are listed), the apps in each as mos-apps lists them.
func (c *cause) appList() string {
	var platforms []string
	byPlatform := map[string][]string{}
	for _, a := range c.apps {
		if _, ok := byPlatform[a.platform]; !ok {
			platforms = append(platforms, a.platform)
		}
		byPlatform[a.platform] = append(byPlatform[a.platform], a.app)
	}
	slices.SortStableFunc(platforms, func(a, b string) int { return platformRank(a) - platformRank(b) })
	parts := make([]string, len(platforms))
	for i, p := range platforms {
		parts[i] = fmt.Sprintf("%s (%s)", strings.Join(byPlatform[p], ", "), p)
	}
	return strings.Join(parts, "; ")
}

func platformRank(p string) int {
	switch p {
	case "ios":
		return 0
	case "android":
		return 1
	}
	return 2
}

// withoutApp replaces app's name in msg, quoted or as a word of its own,
// with appMark.
func withoutApp(msg, app string) string {
	msg = strings.ReplaceAll(msg, fmt.Sprintf("%q", app), `"`+appMark+`"`)
	var b strings.Builder
	for {
		i := strings.Index(msg, app)
		if i < 0 {
			b.WriteString(msg)
			return b.String()
		}
		end := i + len(app)
		if wordBefore(msg[:i]) || wordAfter(msg[end:]) {
			b.WriteString(msg[:end])
		} else {
			b.WriteString(msg[:i])
			b.WriteString(appMark)
		}
		msg = msg[end:]
	}
}

func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-'
}

// wordBefore reports whether the text before a match continues its word:
// "com.acme.weather" does not name app weather.
func wordBefore(s string) bool {
	r, _ := utf8.DecodeLastRuneInString(s)
	return s != "" && (isWord(r) || r == '.')
}

// wordAfter is the same after a match; a full stop ends a sentence unless
// the word goes on after it.
func wordAfter(s string) bool {
	r, n := utf8.DecodeRuneInString(s)
	if s == "" {
		return false
	}
	if r == '.' {
		next, _ := utf8.DecodeRuneInString(s[n:])
		return n < len(s) && isWord(next)
	}
	return isWord(r)
}

// lead is the first sentence of an error message: what the results output
// and the summary's cells show, while the annotation has the whole text. A
// sentence ends at a full stop outside parentheses and quotes that is
// followed by a space and a capital letter.
func lead(msg string) string {
	msg = oneLine(msg)
	depth, quoted := 0, false
	for i, r := range msg {
		switch {
		case r == '"':
			quoted = !quoted
		case r == '(' && !quoted:
			depth++
		case r == ')' && !quoted && depth > 0:
			depth--
		case r == '.' && depth == 0 && !quoted && strings.HasPrefix(msg[i+1:], " "):
			next, _ := utf8.DecodeRuneInString(msg[i+2:])
			if unicode.IsUpper(next) {
				return msg[:i+1]
			}
		}
	}
	return msg
}
