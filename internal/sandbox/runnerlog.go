package sandbox

import (
	"bytes"
	"io"
	"sort"
	"strings"
	"sync"
)

// runnerLog shows the action's output the way a GitHub runner shows it in
// the job log: ::add-mask:: lines are swallowed and their values replaced by
// *** from then on, and annotations are rendered as the log renders them.
type runnerLog struct {
	mu      sync.Mutex
	out     io.Writer
	pending []byte
	masks   []string
}

func newRunnerLog(out io.Writer) *runnerLog { return &runnerLog{out: out} }

func (l *runnerLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, p...)
	for {
		i := bytes.IndexByte(l.pending, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(l.pending[:i]), "\r")
		l.pending = l.pending[i+1:]
		if err := l.line(line); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (l *runnerLog) line(line string) error {
	if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
		if v = unescapeData(v); v != "" {
			l.masks = append(l.masks, v)
			// Longest first, so a mask inside another does not leave a tail.
			sort.Slice(l.masks, func(i, j int) bool { return len(l.masks[i]) > len(l.masks[j]) })
		}
		return nil
	}
	line = render(line)
	for _, m := range l.masks {
		line = strings.ReplaceAll(line, m, "***")
	}
	_, err := io.WriteString(l.out, line+"\n")
	return err
}

// render turns a workflow command into what the log shows for it.
func render(line string) string {
	for _, level := range []string{"error", "warning", "notice"} {
		rest, ok := strings.CutPrefix(line, "::"+level)
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != ':') {
			continue
		}
		props, msg, ok := strings.Cut(strings.TrimPrefix(rest, " "), "::")
		if !ok {
			return line
		}
		label := strings.ToUpper(level[:1]) + level[1:]
		if title, ok := strings.CutPrefix(props, "title="); ok {
			label += " [" + unescapeProperty(title) + "]"
		}
		return label + ": " + unescapeData(msg)
	}
	return line
}

var (
	dataUnescaper     = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%")
	propertyUnescaper = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")
)

func unescapeData(s string) string     { return dataUnescaper.Replace(s) }
func unescapeProperty(s string) string { return propertyUnescaper.Replace(s) }
