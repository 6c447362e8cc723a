package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// redirProc is a process a test started: redir, or a program that runs
// it in the foreground; the test's cleanup kills it. Its methods are the
// checks the tests make on redir.
type redirProc struct{ *testenv.Proc }

func startRedir(t *testing.T, args ...string) *redirProc {
	t.Helper()
	return startProc(t, redirBin, args...)
}

// startProc starts a command that runs redir in the foreground, such as
// prlimit with redir as its command.
func startProc(t *testing.T, name string, args ...string) *redirProc {
	t.Helper()
	return startCmd(t, exec.Command(name, args...), "redir "+strings.Join(args, " "))
}

// startCmd starts cmd with its stderr on a buffer unless cmd already has
// one; Cleanup kills it and, when the test failed, logs the buffer.
func startCmd(t *testing.T, cmd *exec.Cmd, label string) *redirProc {
	t.Helper()
	return &redirProc{testenv.Start(t, cmd, label)}
}

// exitCode waits up to timeout for the process to end and returns its exit
// status, -1 when a signal killed it.
func (p *redirProc) exitCode(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.Done:
	case <-time.After(timeout):
		t.Fatalf("redir still running after %v", timeout)
	}
	var ee *exec.ExitError
	if errors.As(p.Err, &ee) {
		return ee.ExitCode()
	}
	if p.Err != nil {
		t.Fatal(p.Err)
	}
	return 0
}

// waitLog waits up to 10 s for stderr to contain s.
func (p *redirProc) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(p.Stderr.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in stderr after 10s:\n%s", s, p.Stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stopOK sends SIGTERM and expects exit status 0 within 10 s.
func (p *redirProc) stopOK(t *testing.T) {
	t.Helper()
	p.signal(t, syscall.SIGTERM)
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0", code)
	}
}

func (p *redirProc) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.Cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// freeAddr returns host:port with a port nobody listens on just now.
func freeAddr(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startBackend listens on addr and runs serve for each connection, which it
// closes afterwards. It returns the listening address; Cleanup closes the
// listener and every open connection and waits for the handlers.
func startBackend(t *testing.T, addr string, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	return serveListener(t, ln, serve)
}

func echo(c net.Conn) { io.Copy(c, c) }

// slowSender sends n chunks of size bytes, one every interval.
func slowSender(n, size int, interval time.Duration) func(net.Conn) {
	return func(c net.Conn) {
		chunk := bytes.Repeat([]byte{'x'}, size)
		for i := 0; i < n; i++ {
			if _, err := c.Write(chunk); err != nil {
				return
			}
			time.Sleep(interval)
		}
	}
}

// dialRetry connects to addr, retrying for up to 10 s while nothing listens.
func dialRetry(t *testing.T, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("cannot connect to %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// roundTrip sends msg on c and expects it back (through an echo backend).
func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		t.Fatalf("reading echo of %q: %v", msg, err)
	}
	if string(buf) != msg {
		t.Fatalf("echo: got %q, want %q", buf, msg)
	}
}

func TestShutdownDrainsOpenTransfer(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			const chunks, size = 10, 1024
			backend := startBackend(t, "127.0.0.1:0", slowSender(chunks, size, 100*time.Millisecond))
			addr := freeAddr(t, "127.0.0.1")
			p := startRedir(t, "-n", "-l", "info", "--drain-timeout=10", addr, backend)
			p.waitLog(t, "listening on")
			c := dialRetry(t, addr)
			c.SetDeadline(time.Now().Add(15 * time.Second))
			if _, err := io.ReadFull(c, make([]byte, size)); err != nil {
				t.Fatal(err)
			}
			p.signal(t, sig)
			p.waitLog(t, "shutting down")
			waitRefused(t, addr)
			n, err := io.Copy(io.Discard, c)
			if err != nil || n != (chunks-1)*size {
				t.Fatalf("after %v: read %d bytes, %v; want %d and EOF", sig, n, err, (chunks-1)*size)
			}
			c.Close()
			if code := p.exitCode(t, 10*time.Second); code != 0 {
				t.Fatalf("exit status %d, want 0", code)
			}
			for _, s := range []string{"reason=eof", "NOTICE stopped"} {
				if !strings.Contains(p.Stderr.String(), s) {
					t.Errorf("no %q in stderr:\n%s", s, p.Stderr)
				}
			}
		})
	}
}

// waitRefused waits up to 5 s for addr to refuse connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%s still accepts connections after shutdown", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestShutdownDrainTimeoutCuts(t *testing.T) {
	const chunks, size = 100, 1024 // 10 s of sending
	backend := startBackend(t, "127.0.0.1:0", slowSender(chunks, size, 100*time.Millisecond))
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "--drain-timeout=1", addr, backend)
	p.waitLog(t, "listening on")
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, size)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p.signal(t, syscall.SIGTERM)
	n, _ := io.Copy(io.Discard, c)
	if n >= (chunks-1)*size {
		t.Fatalf("the whole transfer got through; it should have been cut after 1s")
	}
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with --drain-timeout=1", d)
	}
	if s := p.Stderr.String(); !strings.Contains(s, "reason=shutdown") {
		t.Errorf("no reason=shutdown record in stderr:\n%s", s)
	}
}

func TestSIGHUPIgnored(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", addr, backend)
	p.waitLog(t, "listening on")
	p.signal(t, syscall.SIGHUP)
	p.waitLog(t, "SIGHUP ignored")
	c := dialRetry(t, addr)
	roundTrip(t, c, "still serving")
	c.Close()
	p.stopOK(t)
}
