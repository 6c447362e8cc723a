package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestBuffer: lines written from several goroutines all arrive whole.
func TestBuffer(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for range 100 {
				fmt.Fprintf(&b, "writer %d\n", i)
			}
		})
	}
	wg.Wait()
	for i := range 4 {
		if n := strings.Count(b.String(), fmt.Sprintf("writer %d\n", i)); n != 100 {
			t.Errorf("writer %d: %d lines, want 100", i, n)
		}
	}
}

// TestStartStop: a started process's stderr is kept; Stop ends it with
// SIGTERM.
func TestStartStop(t *testing.T) {
	p := Start(t, exec.Command("sh", "-c", "echo started >&2; exec sleep 60"), "sleep")
	WaitFor(t, "stderr", p.Stderr.String, "started\n", 1)
	p.Stop(t)
	ee, ok := p.Err.(*exec.ExitError)
	if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("Wait: %v, want a SIGTERM", p.Err)
	}
}

// TestWaitForFile: WaitFor sees text that a file gets later, as often as
// asked.
func TestWaitForFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	go func() {
		time.Sleep(50 * time.Millisecond)
		os.WriteFile(path, []byte("one\ntwo\none\n"), 0o644)
	}()
	WaitFor(t, path, func() string { b, _ := os.ReadFile(path); return string(b) }, "one", 2)
}

// TestDeniedClient: a service that answers the client from 127.0.0.2 is
// reported; one that closes at once is not.
func TestDeniedClient(t *testing.T) {
	for _, answer := range []string{"", "hello"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Write([]byte(answer))
				c.Close()
			}
		}()
		err = DeniedClient(ln.Addr().String())
		if want := answer != ""; (err != nil) != want {
			t.Errorf("answer %q: %v, want an error: %v", answer, err, want)
		}
	}
}

// TestJournald: a record logged in journald's namespace comes back from
// Entry with its fields.
func TestJournald(t *testing.T) {
	j := StartJournald(t)
	if out, err := j.Command("systemd-cat", "-t", "testenv-test", "echo", "hello").CombinedOutput(); err != nil {
		t.Fatalf("systemd-cat: %v\n%s", err, out)
	}
	CheckFields(t, j.Entry(t, "SYSLOG_IDENTIFIER=testenv-test"), map[string]string{"MESSAGE": "hello", "_TRANSPORT": "stdout"})
}
