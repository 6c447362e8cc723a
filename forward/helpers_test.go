package forward_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// ioDeadline bounds every socket operation in the tests, so that a relay
// that loses bytes or a half-close makes a test fail instead of hang.
const ioDeadline = 30 * time.Second

// server is a Forwarder serving one listener in the background, with its
// records captured.
type server struct {
	f      *forward.Forwarder
	addr   string
	logs   *recorder
	cancel context.CancelFunc
	done   chan struct{} // closed when Serve has returned
	err    error         // what Serve returned; read after done
}

// serve runs f.Serve(ctx, ln, more...) until the test ends; f.Log is
// replaced by a recorder. The cleanup cancels and insists that Serve
// returns. The server's addr is ln's.
func serve(t *testing.T, f *forward.Forwarder, ln net.Listener, more ...net.Listener) *server {
	t.Helper()
	logs := newRecorder()
	f.Log = logs.logger()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{f: f, addr: ln.Addr().String(), logs: logs, cancel: cancel, done: make(chan struct{})}
	go func() {
		s.err = f.Serve(ctx, append([]net.Listener{ln}, more...)...)
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			t.Errorf("Serve did not return 20s after its context ended")
		}
		if t.Failed() {
			for _, r := range logs.all() {
				t.Log("record:", r)
			}
		}
	})
	return s
}

// serveTCP listens on 127.0.0.1 and forwards to target.
func serveTCP(t *testing.T, f *forward.Forwarder) *server {
	t.Helper()
	return serve(t, f, listen(t, "tcp", "127.0.0.1:0"))
}

// stop cancels Serve and waits up to within for it to return its error.
func (s *server) stop(t *testing.T, within time.Duration) error {
	t.Helper()
	s.cancel()
	if !s.returnsWithin(within) {
		t.Fatalf("Serve still running %v after its context ended", within)
	}
	return s.err
}

func (s *server) returnsWithin(d time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(d):
		return false
	}
}

func (s *server) running() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// dial connects a client to the forwarder.
func (s *server) dial(t *testing.T) *net.TCPConn {
	t.Helper()
	return dialTCP(t, s.addr)
}

func dialTCP(t *testing.T, addr string) *net.TCPConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioDeadline))
	return c.(*net.TCPConn)
}

func listen(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// freeAddr returns a loopback address nothing listens on (it did a moment
// ago, so the port is unlikely to be taken soon).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln := listen(t, "tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// backend is a target server: every accepted conn is handed to handle in
// its own goroutine and closed when handle returns.
type backend struct {
	addr     string
	accepted atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
}

func startBackend(t *testing.T, ln net.Listener, handle func(*net.TCPConn)) *backend {
	t.Helper()
	b := &backend{addr: ln.Addr().String(), conns: map[net.Conn]bool{}}
	b.wg.Add(1)
	go b.acceptLoop(ln, handle)
	t.Cleanup(func() {
		ln.Close()
		b.mu.Lock()
		for c := range b.conns {
			c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

// tcpBackend starts a backend on a fresh 127.0.0.1 port.
func tcpBackend(t *testing.T, handle func(*net.TCPConn)) *backend {
	t.Helper()
	return startBackend(t, listen(t, "tcp", "127.0.0.1:0"), handle)
}

func (b *backend) acceptLoop(ln net.Listener, handle func(*net.TCPConn)) {
	defer b.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		b.mu.Lock()
		b.conns[c] = true
		b.mu.Unlock()
		b.accepted.Add(1)
		c.SetDeadline(time.Now().Add(ioDeadline))
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			handle(c.(*net.TCPConn))
			c.Close()
			b.mu.Lock()
			delete(b.conns, c)
			b.mu.Unlock()
		}()
	}
}

// waitAccepted waits until the backend has accepted n conns.
func (b *backend) waitAccepted(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	eventually(t, within, func() bool { return b.accepted.Load() >= n },
		func() string { return fmt.Sprintf("backend accepted %d conns, want %d", b.accepted.Load(), n) })
}

// idle tells whether all the backend's conns are closed.
func (b *backend) idle() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.conns) == 0
}

// eventually polls cond every 5 ms until it holds or fails the test with
// what() once within has passed.
func eventually(t *testing.T, within time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// expectClosed asserts that c's peer closes it (EOF or reset, after any
// number of bytes) within d, and returns how long that took.
func expectClosed(t *testing.T, c net.Conn, d time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(d))
	buf := make([]byte, 32<<10)
	for {
		_, err := c.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("conn still open %v later", d)
		}
		if err != nil {
			return time.Since(start)
		}
	}
}

// expectOpen asserts that nothing arrives on c and it is not closed for d.
func expectOpen(t *testing.T, c net.Conn, d time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	n, err := c.Read(make([]byte, 1))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("conn should stay open and silent for %v: read %d bytes, %v", d, n, err)
	}
	c.SetReadDeadline(time.Now().Add(ioDeadline))
}

// countFDs counts this process's open file descriptors.
func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatalf("counting fds: %v", err)
	}
	return len(ents) - 1 // the directory being read
}

// echo sends back everything it reads, then half-closes.
func echo(c *net.TCPConn) {
	io.Copy(c, c)
	c.CloseWrite()
}

// roundTrip writes msg and reads back its echo.
func roundTrip(t *testing.T, c net.Conn, msg []byte) {
	t.Helper()
	if _, err := c.Write(msg); err != nil {
		t.Fatalf("write: %v", err)
	}
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("reading the echo of %d bytes: %v", len(msg), err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo %q, want %q", got, msg)
	}
}
