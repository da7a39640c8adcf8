// Package ghout is the one way anything leaves the action's process: log
// lines and workflow commands on stdout, outputs in GITHUB_OUTPUT, the step
// summary in GITHUB_STEP_SUMMARY. Text from a server, a file or an input
// passes it before the runner sees it: every secret the run knows is
// redacted by value, no line can start a workflow command the action did not
// mean to issue, and outputs are heredoc blocks no value can close early.
package ghout

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
)

// Writer writes the action's log, commands, outputs and summary. It is safe
// for concurrent use; each line is one Write.
type Writer struct {
	out    io.Writer
	getenv func(string) string

	mu    sync.Mutex
	masks []string            // whole values to redact, longest first
	runs  map[string]struct{} // every MinRun-byte run of secret material
}

// MinRun is the length of the runs of secret material that are redacted
// wherever they show, so an echo cut in pieces is caught too.
const MinRun = 16

// minMask is the shortest whole value redacted by the seam itself (the
// runner masks shorter ones; redacting "ab" would blank ordinary words).
const minMask = 6

// New returns a Writer printing to stdout and reading the file command paths
// (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) through getenv.
func New(stdout io.Writer, getenv func(string) string) *Writer {
	return &Writer{out: stdout, getenv: getenv, runs: map[string]struct{}{}}
}

// Mask registers each line of each value with the runner's masking and
// redacts it, whole, from everything printed after. For identifiers and
// lines that are not secret material as such (a line of a one-line JSON key
// holding client_email): pieces of them are not redacted.
func (w *Writer) Mask(values ...string) {
	w.register(false, values)
}

// Secret is Mask for secret material (key bodies, signed tokens, access
// tokens, the mos-token): every run of MinRun or more of its characters is
// redacted too, wherever it shows.
func (w *Writer) Secret(values ...string) {
	w.register(true, values)
}

func (w *Writer) register(material bool, values []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, v := range values {
		for _, line := range lines(v) {
			if material {
				for i := 0; i+MinRun <= len(line); i++ {
					w.runs[line[i:i+MinRun]] = struct{}{}
				}
			}
			if !containsString(w.masks, line) {
				w.masks = append(w.masks, line)
				sort.SliceStable(w.masks, func(i, j int) bool { return len(w.masks[i]) > len(w.masks[j]) })
				w.writeLocked("::add-mask::" + escapeData(line))
			}
		}
	}
}

// Redact replaces every registered secret in s, and every run of secret
// material, with ***.
func (w *Writer) Redact(s string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.redactLocked(s)
}

func (w *Writer) redactLocked(s string) string {
	for _, m := range w.masks {
		if len(m) >= minMask {
			s = strings.ReplaceAll(s, m, "***")
		}
	}
	if len(w.runs) == 0 || len(s) < MinRun {
		return s
	}
	covered := make([]bool, len(s))
	found := false
	for i := 0; i+MinRun <= len(s); i++ {
		if _, ok := w.runs[s[i:i+MinRun]]; ok {
			found = true
			for j := i; j < i+MinRun; j++ {
				covered[j] = true
			}
		}
	}
	if !found {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if !covered[i] {
			b.WriteByte(s[i])
			continue
		}
		b.WriteString("***")
		for i+1 < len(s) && covered[i+1] {
			i++
		}
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// Logf prints one plain log line: redacted, line breaks made spaces, and
// never read by the runner as a workflow command.
func (w *Writer) Logf(format string, args ...any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeLocked(Plain(w.redactLocked(fmt.Sprintf(format, args...))))
}

// Annotate issues an ::error, ::warning or ::notice annotation with a title.
func (w *Writer) Annotate(level Level, title, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeLocked("::" + string(level) + " title=" + escapeProperty(w.redactLocked(title)) + "::" + escapeData(w.redactLocked(msg)))
}

// Level is the kind of an annotation.
type Level string

// The annotation levels.
const (
	Error   Level = "error"
	Warning Level = "warning"
	Notice  Level = "notice"
)

func (w *Writer) writeLocked(line string) {
	// One Write per line (not io.WriteString: a writer may count Writes).
	_, _ = w.out.Write([]byte(line + "\n"))
}

// outputName is what the action names its outputs.
var outputName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// SetOutput appends name=value to GITHUB_OUTPUT as a heredoc block with a
// fresh random delimiter (as @actions/core does), after redaction. A value
// holding the delimiter is refused. Without GITHUB_OUTPUT the output is
// logged instead.
func (w *Writer) SetOutput(name, value string) error {
	if !outputName.MatchString(name) {
		return fmt.Errorf("output name %q is not one the action uses", name)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	value = w.redactLocked(value)
	path := w.getenv("GITHUB_OUTPUT")
	if path == "" {
		w.writeLocked(Plain("  " + name + "=" + value))
		return nil
	}
	delim, err := Delimiter()
	if err != nil {
		return err
	}
	if strings.Contains(value, delim) || strings.Contains(name, delim) {
		return fmt.Errorf("output %s holds its own delimiter; not written", name)
	}
	return appendFile(path, name+"<<"+delim+"\n"+value+"\n"+delim+"\n")
}

// Delimiter returns a fresh ghadelimiter_<UUIDv4>.
func Delimiter() (string, error) {
	var u [16]byte
	if _, err := rand.Read(u[:]); err != nil {
		return "", fmt.Errorf("failed to make an output delimiter: %w", err)
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("ghadelimiter_%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16]), nil
}

// AppendSummary appends markdown the action composed to
// GITHUB_STEP_SUMMARY, after redaction. Every value in it from elsewhere
// must have passed Cell. Without GITHUB_STEP_SUMMARY it does nothing.
func (w *Writer) AppendSummary(markdown string) error {
	path := w.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	w.mu.Lock()
	markdown = w.redactLocked(markdown)
	w.mu.Unlock()
	return appendFile(path, markdown+"\n")
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.WriteString(text)
	return errors.Join(werr, f.Close())
}

// Plain makes s one log line the runner reads as text: every line break and
// control character becomes a space, "##[" is broken up, and a line that
// would start with "::" after the runner trims it is defused.
func Plain(s string) string {
	s = strings.Map(func(r rune) rune {
		if r != '\t' && isControl(r) {
			return ' '
		}
		return r
	}, breakLegacy(s))
	if t := strings.TrimLeftFunc(s, isSpace); strings.HasPrefix(t, "::") {
		s = s[:len(s)-len(t)] + ": :" + t[2:]
	}
	return s
}

// escapeData escapes the data of a workflow command, as @actions/core does.
func escapeData(s string) string {
	s = strings.Map(func(r rune) rune {
		if r != '\t' && r != '\r' && r != '\n' && isControl(r) {
			return ' '
		}
		return r
	}, breakLegacy(s))
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value (title=) of a workflow command.
func escapeProperty(s string) string {
	return strings.NewReplacer(":", "%3A", ",", "%2C").Replace(escapeData(s))
}

// breakLegacy breaks every "##[" (a legacy command anywhere in a line).
func breakLegacy(s string) string {
	for strings.Contains(s, "##[") {
		s = strings.ReplaceAll(s, "##[", "# #[")
	}
	return s
}

// isControl: C0 and C1 controls, DEL, and the line and paragraph separators
// the runner has no escape for.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029'
}

// isSpace is what the runner trims from the start of a line.
func isSpace(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' }

// lines splits a value as masks need it: each non-empty trimmed line.
func lines(s string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool {
		return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
	}) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
