package forward_test

import (
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// flakyListener fails every Accept with err until failUntil, then
// accepts for real; it counts the calls.
type flakyListener struct {
	net.Listener
	err       error
	failUntil atomic.Int64 // UnixNano
	calls     atomic.Int64
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	if time.Now().UnixNano() < l.failUntil.Load() {
		return nil, l.err
	}
	return l.Listener.Accept()
}

func (l *flakyListener) failFor(d time.Duration) { l.failUntil.Store(time.Now().Add(d).UnixNano()) }

func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept", errno)}
}

// TestAcceptBackoff: EMFILE from Accept makes Serve back off (a handful of
// calls in 200 ms, not thousands), log once per episode and serve again.
func TestAcceptBackoff(t *testing.T) {
	t.Parallel()
	b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
	ln := &flakyListener{Listener: listen(t, "tcp", "127.0.0.1:0"), err: acceptErr(syscall.EMFILE)}
	ln.failFor(300 * time.Millisecond)
	s := serve(t, &forward.Forwarder{Target: b.addr}, ln)
	time.Sleep(200 * time.Millisecond)
	if n := ln.calls.Load(); n < 2 || n > 15 {
		t.Errorf("%d Accept calls in 200 ms of EMFILE, want a handful (5 ms doubling)", n)
	}
	if !s.running() {
		t.Fatalf("Serve returned on EMFILE: %v", s.err)
	}
	roundTripWithin(t, s, "first", 2*time.Second)
	if n := len(s.logs.others()); n != 1 {
		t.Errorf("%d warnings for one EMFILE episode, want 1: %v", n, s.logs.others())
	}

	// A second episode: the loop is parked in Accept, so a client wakes it.
	ln.failFor(300 * time.Millisecond)
	roundTripWithin(t, s, "wakes it", 2*time.Second)
	time.Sleep(100 * time.Millisecond)
	roundTripWithin(t, s, "second", 2*time.Second)
	if n := len(s.logs.others()); n != 2 {
		t.Errorf("%d warnings for two EMFILE episodes, want 2: %v", n, s.logs.others())
	}
}

// roundTripWithin connects to s and makes one round trip through an echo
// target within d.
func roundTripWithin(t *testing.T, s *server, msg string, d time.Duration) {
	t.Helper()
	c := s.dial(t)
	c.SetDeadline(time.Now().Add(d))
	roundTrip(t, c, []byte(msg))
	c.Close()
}

// TestAcceptTemporaryErrors: every error that passes is waited out.
func TestAcceptTemporaryErrors(t *testing.T) {
	for _, errno := range []syscall.Errno{syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM, syscall.ECONNABORTED} {
		t.Run(errno.Error(), func(t *testing.T) {
			t.Parallel()
			b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
			ln := &flakyListener{Listener: listen(t, "tcp", "127.0.0.1:0"), err: acceptErr(errno)}
			ln.failFor(100 * time.Millisecond)
			s := serve(t, &forward.Forwarder{Target: b.addr}, ln)
			roundTripWithin(t, s, "served", 2*time.Second)
			if !s.running() {
				t.Fatalf("Serve returned on %v: %v", errno, s.err)
			}
		})
	}
}

// TestAcceptPermanentError: any other Accept error ends Serve with it, and
// Serve closes the listener.
func TestAcceptPermanentError(t *testing.T) {
	boom := errors.New("boom")
	for _, perm := range []error{boom, acceptErr(syscall.EINVAL), net.ErrClosed} {
		t.Run(perm.Error(), func(t *testing.T) {
			t.Parallel()
			inner := listen(t, "tcp", "127.0.0.1:0")
			ln := &flakyListener{Listener: inner, err: perm}
			ln.failFor(time.Hour)
			s := serve(t, &forward.Forwarder{Target: freeAddr(t)}, ln)
			if !s.returnsWithin(2 * time.Second) {
				t.Fatalf("Serve still running after Accept failed with %v", perm)
			}
			if !errors.Is(s.err, perm) {
				t.Errorf("Serve returned %v, want %v", s.err, perm)
			}
			if n := ln.calls.Load(); n != 1 {
				t.Errorf("Accept called %d times, want once", n)
			}
			if !refused(inner.Addr().String()) {
				t.Error("Serve returned with its listener still open")
			}
		})
	}
}

// TestServeManyListeners serves an IPv4 and an IPv6 listener at once; a
// permanent error on one ends Serve for both.
func TestServeManyListeners(t *testing.T) {
	t.Parallel()
	b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
	ln4, ln6 := listen(t, "tcp4", "127.0.0.1:0"), listen(t, "tcp6", "[::1]:0")
	f := &forward.Forwarder{Target: b.addr}
	s := serve(t, f, ln4, ln6)
	for i, ln := range []net.Listener{ln4, ln6} {
		c := dialTCP(t, ln.Addr().String())
		roundTrip(t, c, []byte(ln.Addr().String()))
		c.CloseWrite()
		expectClosed(t, c, 2*time.Second)
		if r := s.logs.waitConns(t, i+1, 5*time.Second)[i]; r.str("local") != ln.Addr().String() {
			t.Errorf("record's local address %s, want %s", r.str("local"), ln.Addr())
		}
	}
	ln4.Close()
	if !s.returnsWithin(7 * time.Second) {
		t.Fatal("Serve still running after one of its listeners failed")
	}
	if !refused(ln6.Addr().String()) {
		t.Error("the other listener is still open")
	}
}

// TestServeNoListener: Serve needs at least one listener.
func TestServeNoListener(t *testing.T) {
	f := &forward.Forwarder{Target: "127.0.0.1:1"}
	if err := f.Serve(context.Background()); err == nil {
		t.Fatal("Serve with no listener returned nil")
	}
}
