//go:build unix

package main

import (
	"bytes"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The built binary refuses key files that are not files by their kind,
// without reading them and without echoing a line of them as a mask: a FIFO
// would otherwise hang the open, /dev/zero would fill the memory.
func TestBinarySpecialKeyFiles(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "AuthKey_E2EKEY0001.p8")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, file, want string }{
		{"FIFO", fifo, "named pipe"},
		{"device", "/dev/zero", "device"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setupE2E(t)
			in := e.goodInputs()
			delete(in, "asc-key")
			in["asc-key-file"] = tc.file
			start := time.Now()
			out := runBinary(t, "", nil, in)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("the run took %s", took)
			}
			if out.code != 1 || !strings.Contains(out.stdout, "::error title=Invalid input asc-key-file::") || !strings.Contains(out.stdout, tc.want) {
				t.Errorf("exit %d; want 1 and an Invalid input asc-key-file error naming a %s:\n%s", out.code, tc.want, out.stdout)
			}
			// The mos-token is masked; nothing of the file is.
			if masks := strings.Count(out.stdout, "::add-mask::"); masks != 1 || !strings.Contains(out.stdout, "::add-mask::"+in["mos-token"]+"\n") {
				t.Errorf("%d masks, want only the mos-token's: a file that holds no key is not echoed\n%s", masks, out.stdout)
			}
			if n := e.asc.Requests(); n != 0 {
				t.Errorf("%d requests reached App Store Connect", n)
			}
		})
	}
}

// SIGTERM (a cancelled workflow) ends the built binary within 2 s while a
// request hangs, and the step still reports what it knows.
func TestBinarySIGTERM(t *testing.T) {
	t.Parallel()
	// App Store Connect accepts the connection and never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c
		}
	}()
	e := setupE2E(t)
	in := e.goodInputs()
	in["asc-api-url"] = "http://" + ln.Addr().String()
	dir := t.TempDir()
	cmd := exec.Command(build(t))
	cmd.Dir = dir
	for k, v := range runEnv(dir, in) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case c := <-accepted:
		t.Cleanup(func() { c.Close() })
	case err := <-done:
		t.Fatalf("the run ended before its request (%v):\n%s", err, stdout.String())
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("no request reached the hanging server in 30 s")
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("still running 10 s after SIGTERM:\n%s", stdout.String())
	}
	if took := time.Since(sent); took > 2*time.Second {
		t.Errorf("the run ended %s after SIGTERM, want within 2 s", took.Round(time.Millisecond))
	}
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stdout.String(), "::error title=Cancelled::") {
		t.Errorf("no Cancelled error after SIGTERM:\n%s", stdout.String())
	}
	if n := e.portal.Faults().RequestsTo("PUT", ""); n != 0 {
		t.Errorf("%d uploads reached mos.portal after a cancelled check", n)
	}
}
