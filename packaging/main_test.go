package packaging

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// redirBin is redir built once for the tests, in a directory any user may
// read (inetd and xinetd run it as nobody, as the examples say).
var redirBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redir-packaging-")
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	redirBin = filepath.Join(dir, "redir")
	built.dir = dir
	cmd := exec.Command("go", "build", "-o", redirBin, "../cmd/redir")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building redir:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// command runs name with args and returns its combined output; a non-zero
// exit fails the test with that output.
func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// readFile returns the file's text, failing the test when it cannot.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// writeFile writes text to path, making its directory first.
func writeFile(t *testing.T, path, text string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), perm); err != nil {
		t.Fatal(err)
	}
}

// startEcho serves an echo on a free loopback port until the test ends
// and returns its address.
func startEcho(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// freePort returns a loopback port no one listens on right now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// echoCheck sends n random bytes through addr, which leads to an echo,
// half-closes, and checks that the same bytes come back, then EOF.
func echoCheck(t *testing.T, addr string, n int) {
	t.Helper()
	if err := echoRoundTrip(addr, n, 30*time.Second); err != nil {
		t.Fatal(err)
	}
}

// echoRoundTrip is echoCheck returning what went wrong, for goroutines.
func echoRoundTrip(addr string, n int, timeout time.Duration) error {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return err
	}
	return echoOver(c.(*net.TCPConn), n, timeout)
}

// echoOver sends n random bytes over c, half-closes, checks that the
// same bytes come back, then EOF, and closes c.
func echoOver(c *net.TCPConn, n int, timeout time.Duration) error {
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	msg := make([]byte, n)
	rand.Read(msg)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		if err == nil {
			err = c.CloseWrite()
		}
		errc <- err
	}()
	got, err := io.ReadAll(c)
	if werr := <-errc; werr != nil {
		return fmt.Errorf("sending %d bytes to %s: %w", n, c.RemoteAddr(), werr)
	}
	if err != nil {
		return fmt.Errorf("reading the echo from %s after %d bytes: %w", c.RemoteAddr(), len(got), err)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("through %s: sent %d bytes, got %d back, not the same", c.RemoteAddr(), n, len(got))
	}
	return nil
}
