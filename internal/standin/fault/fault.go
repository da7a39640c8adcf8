// Package fault injects the failures real services show (error statuses,
// latency, dropped and reset connections, hung or trickling answers, broken
// or huge bodies, redirects) in front of the loopback stand-ins, so tests and
// the sandbox can prove how the action behaves when a service misbehaves.
package fault

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind is a class of fault.
type Kind string

// The faults an Injector can play.
const (
	Status    Kind = "status"    // answer Status (with Retry-After and Body) instead of the service
	Drop      Kind = "drop"      // close the connection without answering
	Reset     Kind = "reset"     // send the headers and half the real body, then close the connection
	Hang      Kind = "hang"      // accept and never answer
	Trickle   Kind = "trickle"   // send the real answer one byte every Delay
	Malformed Kind = "malformed" // 200 with a body that is not JSON
	Truncated Kind = "truncated" // 200 with the real body cut in half, consistently framed
	Huge      Kind = "huge"      // 200 with a JSON body of Size bytes
	Redirect  Kind = "redirect"  // 307 to Location
)

// Fault is one injected failure. A Fault without a Kind passes the request
// on unchanged: queued first with Times, it lets that many matching
// requests through before the faults queued after it apply.
type Fault struct {
	Kind       Kind
	Status     int    // Status: the status code (default 503)
	RetryAfter string // Status: the Retry-After header, if any
	Body       string // Status: the body (default: a JSON error); see EchoToken and EchoBody
	// Reason, if set, is the reason phrase of a Status answer, written raw
	// (a hostile server's text, control characters included).
	Reason   string
	Delay    time.Duration // Trickle: the pause between bytes (default 200ms)
	Size     int           // Huge: the body size (default 8 MiB)
	Location string        // Redirect: the target (default another loopback host)
	// Through passes the request to the service first, so that a PUT is
	// applied, and then plays Status, Drop, Hang or Malformed in place of
	// its answer: the write happened, the answer is lost. (Reset, Trickle
	// and Truncated always pass the request through.)
	Through bool
	// Times is how many matching requests the fault applies to; 0 means all.
	Times int
	// Method and PathPrefix restrict which requests match; empty matches all.
	Method, PathPrefix string
	// PathContains, if set, restricts the fault to paths holding it, such
	// as the key routes of mos.portal ("/publisher/") but not its app
	// records.
	PathContains string
}

// In a Status Body, EchoToken stands for the request's bearer token and
// EchoBody for its body, each cut into pieces of EchoPiece characters
// separated by " / ": a service that quotes what it was sent, in parts.
const (
	EchoToken = "{echo-token}"
	EchoBody  = "{echo-body}"
	EchoPiece = 20
)

func pieces(s string) string {
	var out []string
	for len(s) > EchoPiece {
		out = append(out, s[:EchoPiece])
		s = s[EchoPiece:]
	}
	return strings.Join(append(out, s), " / ")
}

func (f Fault) matches(r *http.Request) bool {
	return (f.Method == "" || f.Method == r.Method) && strings.HasPrefix(r.URL.Path, f.PathPrefix) &&
		strings.Contains(r.URL.Path, f.PathContains)
}

// Injector plays faults in front of a handler. It is safe for concurrent use.
type Injector struct {
	mu       sync.Mutex
	faults   []*Fault
	latency  time.Duration
	requests []requestLine
	closed   chan struct{}
	once     sync.Once
}

type requestLine struct{ method, path string }

// New returns an Injector with no faults.
func New() *Injector {
	return &Injector{closed: make(chan struct{})}
}

// Add queues faults; they are tried in order for every request.
func (i *Injector) Add(f ...Fault) {
	i.mu.Lock()
	defer i.mu.Unlock()
	for _, x := range f {
		i.faults = append(i.faults, &x)
	}
}

// SetLatency adds d before every answer.
func (i *Injector) SetLatency(d time.Duration) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.latency = d
}

// Clear removes all faults and the latency.
func (i *Injector) Clear() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.faults, i.latency = nil, 0
}

// Close releases every request held by a Hang fault.
func (i *Injector) Close() {
	i.once.Do(func() { close(i.closed) })
}

// Requests returns how many requests arrived, faulted or not.
func (i *Injector) Requests() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return len(i.requests)
}

// RequestsTo counts the requests with the method (any if empty) whose path
// starts with pathPrefix.
func (i *Injector) RequestsTo(method, pathPrefix string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for _, r := range i.requests {
		if (method == "" || method == r.method) && strings.HasPrefix(r.path, pathPrefix) {
			n++
		}
	}
	return n
}

// RequestsWith counts the requests with the method (any if empty) whose
// path holds part.
func (i *Injector) RequestsWith(method, part string) int {
	i.mu.Lock()
	defer i.mu.Unlock()
	n := 0
	for _, r := range i.requests {
		if (method == "" || method == r.method) && strings.Contains(r.path, part) {
			n++
		}
	}
	return n
}

// Log returns the requests that arrived, in order, as "METHOD /path" (no
// query: the stand-ins take no secret there, but a log line needs none).
func (i *Injector) Log() []string {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]string, len(i.requests))
	for n, r := range i.requests {
		out[n] = r.method + " " + r.path
	}
	return out
}

// next records the request and picks the fault to play, if any.
func (i *Injector) next(r *http.Request) (Fault, time.Duration, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.requests = append(i.requests, requestLine{r.Method, r.URL.Path})
	for idx, f := range i.faults {
		if !f.matches(r) {
			continue
		}
		picked := *f
		if f.Times > 0 {
			f.Times--
			if f.Times == 0 {
				i.faults = append(i.faults[:idx:idx], i.faults[idx+1:]...)
			}
		}
		return picked, i.latency, true
	}
	return Fault{}, i.latency, false
}

// Wrap returns h behind the injector.
func (i *Injector) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, latency, ok := i.next(r)
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		i.play(f, h, w, r)
	})
}

func (i *Injector) play(f Fault, h http.Handler, w http.ResponseWriter, r *http.Request) {
	if f.Through {
		switch f.Kind {
		case Status, Drop, Hang, Malformed:
			record(h, r)
		}
	}
	switch f.Kind {
	case Status:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		body := f.Body
		if body == "" {
			body = `{"error":{"code":"injected","message":"injected fault ` + strconv.Itoa(status) + `"}}`
		}
		if strings.Contains(body, EchoToken) || strings.Contains(body, EchoBody) {
			token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			sent, _ := io.ReadAll(r.Body)
			body = strings.NewReplacer(EchoToken, pieces(token), EchoBody, pieces(string(sent))).Replace(body)
		}
		if f.Reason != "" {
			rawAnswer(w, status, f.Reason, f.RetryAfter, body)
			return
		}
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	case Drop:
		closeConn(w)
	case Reset:
		rec := record(h, r)
		body := rec.Body.Bytes()
		copyHeader(w.Header(), rec.Header())
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body[:len(body)/2])
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
		closeConn(w)
	case Hang:
		select {
		case <-r.Context().Done():
		case <-i.closed:
		}
	case Trickle:
		delay := f.Delay
		if delay <= 0 {
			delay = 200 * time.Millisecond
		}
		rec := record(h, r)
		copyHeader(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		fl, _ := w.(http.Flusher)
		for _, b := range rec.Body.Bytes() {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-i.closed:
				t.Stop()
				return
			}
			if _, err := w.Write([]byte{b}); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	case Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`<html><body>Service temporarily unavailable</body></html>`))
	case Truncated:
		rec := record(h, r)
		body := rec.Body.Bytes()
		copyHeader(w.Header(), rec.Header())
		w.Header().Del("Content-Length")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body[:len(body)/2])
	case Huge:
		size := f.Size
		if size <= 0 {
			size = 8 << 20
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(size))
		w.WriteHeader(http.StatusOK)
		chunk := bytes.Repeat([]byte(" "), 64<<10)
		_, _ = w.Write([]byte("{"))
		for left := size - 2; left > 0; left -= len(chunk) {
			if _, err := w.Write(chunk[:min(left, len(chunk))]); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte("}"))
	case Redirect:
		loc := f.Location
		if loc == "" {
			loc = "http://127.0.0.2:9/elsewhere"
		}
		http.Redirect(w, r, loc, http.StatusTemporaryRedirect)
	default:
		h.ServeHTTP(w, r)
	}
}

// record runs the real handler into a buffer, for faults that alter its answer.
func record(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = append([]string(nil), v...)
	}
}

// rawAnswer writes a whole HTTP/1.1 answer by hand, with reason as its
// reason phrase, and closes the connection.
func rawAnswer(w http.ResponseWriter, status int, reason, retryAfter, body string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n", status, reason, len(body))
	if retryAfter != "" {
		fmt.Fprintf(buf, "Retry-After: %s\r\n", retryAfter)
	}
	fmt.Fprintf(buf, "\r\n%s", body)
	_ = buf.Flush()
}

// closeConn drops the client connection without a well-formed answer.
func closeConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}
