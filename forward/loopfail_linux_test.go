package forward

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLoopFailureServe: every relay loop's epoll_wait fails (see
// breakLoop). The connection they relay ends with reason "error" and the
// epoll_wait error in its record, the listener stops with an error record,
// and Serve returns the error instead of serving nothing for ever.
func TestLoopFailureServe(t *testing.T) {
	ln := reviewListen(t)
	logs := &reviewLog{}
	f := &Forwarder{Target: reviewEcho(t), Log: slog.New(logs), DrainTimeout: 10 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- f.Serve(ctx, ln) }()
	open, err := reviewPing(ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { open.Close() })
	if err := reviewRoundTrip(ln.Addr().String(), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// The record of that connection, made on a loop, orders what Serve set
	// up (f.relay) before what this goroutine reads from here on.
	logs.waitFor(t, func(r reviewRecord) bool { return r.attrs["reason"] == ReasonEOF })
	breakLoops(t, f.relay.loops)
	select {
	case err := <-errc:
		if !errors.Is(err, unix.EINVAL) || !strings.Contains(err.Error(), "epoll_wait") {
			t.Errorf("Serve returned %v, want the loop's epoll_wait error (EINVAL)", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still running 10 s after its relay loops failed")
	}
	open.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := open.Read(make([]byte, 1)); err == nil {
		t.Errorf("the connection the failed loop relayed is still open: read %d bytes", n)
	}
	logs.waitFor(t, func(r reviewRecord) bool {
		return r.level == slog.LevelError && r.msg == "relay loop failed, listener stopped" &&
			strings.Contains(r.attrs["error"], "epoll_wait")
	})
	logs.waitFor(t, func(r reviewRecord) bool {
		return r.attrs["reason"] == ReasonError && strings.Contains(r.attrs["error"], "epoll_wait")
	})
}

// TestLoopFailureAfterwards: after its epoll_wait failed a loop refuses
// new pairs (start leaves both conns untouched; a connect ends with the
// error), a wake-up still goes to its own eventfd, not to a descriptor
// that took the number since, and close does not wait for ever.
func TestLoopFailureAfterwards(t *testing.T) {
	r, err := newReactor(0)
	if err != nil {
		t.Fatal(err)
	}
	breakLoops(t, r.loops)
	for _, l := range r.loops {
		select {
		case <-l.exited:
		case <-time.After(5 * time.Second):
			t.Fatal("a loop whose epoll_wait fails still runs after 5 s")
		}
		l.wake()
		if link, _ := os.Readlink("/proc/self/fd/" + strconv.Itoa(l.wakefd)); link != "anon_inode:[eventfd]" {
			t.Errorf("the failed loop's wake descriptor %d is %q, want its eventfd", l.wakefd, link)
		}
		var buf [8]byte
		if n, err := unix.Read(l.wakefd, buf[:]); n != 8 || err != nil || buf == [8]byte{} {
			t.Errorf("the failed loop's eventfd after a wake-up: read %d, %v, %v; want the count", n, err, buf)
		}
	}
	refused(t, r)
	closed := make(chan struct{})
	go func() { r.close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("closing a reactor whose loops failed still waits after 5 s")
	}
}

// refused checks that r's failed loops take neither a relay nor a dial.
func refused(t *testing.T, r *reactor) {
	ends := make(chan result, 1)
	done := func(_ *session, res result) { ends <- res }
	register := func(func()) bool { return true }
	c, cpeer := lfConnPair(t)
	tc, _ := lfConnPair(t)
	if err := r.start(&session{id: 1}, c, tc, done, register); !errors.Is(err, unix.EINVAL) {
		t.Errorf("start on a failed loop: %v, want its error (EINVAL)", err)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		t.Errorf("the client conn after a refused start: %v", err)
	} else if _, err := io.ReadFull(cpeer, make([]byte, 1)); err != nil {
		t.Errorf("its peer after a refused start: %v", err)
	}
	fd, err := dupFD(c)
	if err != nil {
		t.Fatal(err)
	}
	target := netip.MustParseAddrPort(reviewListen(t).Addr().String())
	r.connect(&session{id: 2}, fd, []netip.AddrPort{target}, nil, time.Second, done, register)
	select {
	case res := <-ends:
		if res.reason != ReasonError || !errors.Is(res.err, unix.EINVAL) {
			t.Errorf("connect on a failed loop ended %q, %v; want %q and its error", res.reason, res.err, ReasonError)
		}
	case <-time.After(5 * time.Second):
		t.Error("connect on a failed loop did not end within 5 s")
	}
	// fd is the connect's now (it may have closed it): -1 instead, which a
	// failed loop's addListener returns before it looks at.
	a := &acceptor{fd: -1, errc: make(chan error, 1)}
	if err := r.addListener(a); !errors.Is(err, unix.EINVAL) {
		t.Errorf("a listener added to failed loops: %v, want their error (EINVAL)", err)
	}
}

// breakLoops makes the loops' epoll_wait fail: each epoll descriptor's
// number now names /dev/null (EINVAL: not an epoll instance), atomically,
// so no other descriptor can take the number. A wait in progress holds the
// old epoll instance and wakes on the eventfd; the next one fails. Every
// number is replaced before any loop is woken, with every loop's lock
// held: a loop that fails (shutdown takes its lock) makes Serve stop the
// others (stop takes theirs) and close their descriptors, and a number
// closed before its dup3 could name another descriptor of this process
// by then, which dup3 would replace.
func breakLoops(t *testing.T, loops []*loop) {
	t.Helper()
	null, err := unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(null)
	for _, l := range loops {
		l.mu.Lock()
	}
	for _, l := range loops {
		err = errors.Join(err, unix.Dup3(null, l.epfd, unix.O_CLOEXEC))
	}
	for _, l := range loops {
		l.mu.Unlock()
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range loops {
		l.wake()
	}
}

// lfConnPair is a loopback TCP connection, both ends closed at cleanup.
func lfConnPair(t *testing.T) (ours, peer *net.TCPConn) {
	t.Helper()
	ln := reviewListen(t)
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close(); a.Close() })
	d.SetDeadline(time.Now().Add(10 * time.Second))
	return a.(*net.TCPConn), d.(*net.TCPConn)
}
