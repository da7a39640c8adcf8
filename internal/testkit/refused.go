//go:build unix

package testkit

import (
	"fmt"
	"syscall"
	"testing"
)

// RefusedURL returns an http:// URL on 127.0.0.1 whose port refuses every
// connection for the rest of the test. The port is bound but never listened
// on, so no server started by a parallel test can be handed the same port (a
// listener closed right away leaves it free for the next one, and the "refused"
// request then reaches someone else's stand-in).
func RefusedURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatalf("socket: %v", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatalf("bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	return fmt.Sprintf("http://127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
