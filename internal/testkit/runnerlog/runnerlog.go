// Package runnerlog reads what the action printed and wrote as GitHub's
// runner reads it, for tests: stdout split into lines on \n, \r and \r\n
// with leading whitespace trimmed, workflow commands found as the runner
// finds them, GITHUB_OUTPUT parsed with the last value of a name winning.
package runnerlog

import (
	"fmt"
	"strings"
	"sync"
	"unicode"
)

// Recorder is a stdout that keeps each Write: the action writes each line it
// means to print, command or not, as one Write.
type Recorder struct {
	mu     sync.Mutex
	writes []string
}

// Write records p.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

// String is everything written.
func (r *Recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.writes, "")
}

// Problems lists every line the runner would read as a command the action
// did not mean to issue: a line starting with "::" that is not one whole
// Write of a single line, and any line holding a legacy "##[".
func (r *Recorder) Problems() []string {
	r.mu.Lock()
	meant := map[string]bool{}
	for _, w := range r.writes {
		line, ok := strings.CutSuffix(w, "\n")
		if ok && !strings.ContainsAny(line, "\r\n") && strings.HasPrefix(line, "::") {
			meant[line] = true
		}
	}
	text := strings.Join(r.writes, "")
	r.mu.Unlock()
	var bad []string
	for _, line := range Split(text) {
		switch {
		case strings.Contains(line, "##["):
			bad = append(bad, line)
		case strings.HasPrefix(line, "::") && !meant[line]:
			bad = append(bad, line)
		}
	}
	return bad
}

// Split splits stdout as the runner does (\n, \r, \r\n) and trims leading
// whitespace from each line.
func Split(s string) []string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimLeftFunc(l, unicode.IsSpace)
	}
	return lines
}

// ParseOutputs reads a GITHUB_OUTPUT file as the runner does: name=value
// lines and name<<DELIMITER blocks, the last value of a name winning.
func ParseOutputs(text string) (map[string]string, error) {
	out := map[string]string{}
	lines := strings.Split(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if heredoc >= 0 && (eq < 0 || heredoc < eq) {
			name, delim := line[:heredoc], line[heredoc+2:]
			var value []string
			for i++; ; i++ {
				if i >= len(lines) {
					return nil, fmt.Errorf("output %s: no line %s closes it", name, delim)
				}
				if lines[i] == delim {
					break
				}
				value = append(value, lines[i])
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		if eq < 0 {
			return nil, fmt.Errorf("invalid output line %q", line)
		}
		out[line[:eq]] = line[eq+1:]
	}
	return out, nil
}

// Reset forgets what was written.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = nil
}
