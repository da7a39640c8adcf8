// Package loopback serves a stand-in on a free port of 127.0.0.1, the one
// way every stand-in is started by the tests, the sandbox and the container
// test.
package loopback

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Serve serves h on 127.0.0.1 at a free port and returns its base URL (no
// trailing slash) and a stop function, safe to call more than once, that runs
// beforeStop (if any: e.g. releasing hung requests) and closes the server and
// every open connection.
func Serve(h http.Handler, beforeStop func()) (baseURL string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("failed to listen on loopback: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // dropped connections are intended
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // ErrServerClosed once stop is called
	}()
	stop = sync.OnceFunc(func() {
		if beforeStop != nil {
			beforeStop()
		}
		_ = srv.Close()
		<-done
	})
	return "http://" + ln.Addr().String(), stop, nil
}
