package forward

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// closedCheck is how often acceptRaw looks whether ln was closed by its
// owner: the duplicate the loops accept on would keep the socket open.
const closedCheck = time.Second

// acceptRaw is acceptLoop for a TCP listener when the splice relay runs:
// the relay loops accept on a duplicate of its descriptor with accept4(2),
// so the client socket never enters Go's poller (it would only have to
// leave it again), and the loop that accepts a connection also dials and
// relays it. This goroutine only waits for the end: ctx done (nil), a
// permanent accept error, or ln closed by its owner (noticed within
// closedCheck).
func (f *Forwarder) acceptRaw(ctx context.Context, ln *net.TCPListener, sem semaphore) error {
	fd, err := dupListener(ln)
	if err != nil {
		if ctx.Err() != nil {
			return nil // Serve closed ln before this goroutine got to it
		}
		return err
	}
	defer unix.Close(fd)
	// Accepted sockets inherit TCP_NODELAY from the listener (see noDelay).
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	a := &acceptor{f: f, ctx: ctx, fd: fd, addr: ln.Addr(), local: fixedLocal(fd, ln),
		sem: sem, errc: make(chan error, 1)}
	if err := f.relay.addListener(a); err != nil {
		return &net.OpError{Op: "accept", Net: "tcp", Addr: ln.Addr(), Err: err}
	}
	defer f.relay.removeListener(a)
	tick := time.NewTicker(closedCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-a.errc:
			return err
		case <-tick.C:
			if err := stillOpen(ln); err != nil && ctx.Err() == nil {
				return err
			}
		}
	}
}

// stillOpen is nil while ln is open, and its error once it was closed.
func stillOpen(ln *net.TCPListener) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	if err := rc.Control(func(uintptr) {}); err != nil {
		return &net.OpError{Op: "accept", Net: "tcp", Addr: ln.Addr(), Err: err}
	}
	return nil
}

// fixedLocal is the local address of every connection accepted on fd, when
// it is known without asking each (a getsockname): the listener's own
// address when that is a single address and the socket is not transparent
// (IP_TRANSPARENT accepts connections to any address); else nil.
func fixedLocal(fd int, ln *net.TCPListener) *net.TCPAddr {
	la, ok := ln.Addr().(*net.TCPAddr)
	if !ok || la.IP.IsUnspecified() {
		return nil
	}
	level, opt := unix.SOL_IP, unix.IP_TRANSPARENT
	if la.IP.To4() == nil {
		level, opt = unix.SOL_IPV6, unix.IPV6_TRANSPARENT
	}
	if v, err := unix.GetsockoptInt(fd, level, opt); err != nil || v != 0 {
		return nil
	}
	return la
}

// noDelay makes sure the accepted socket cfd has TCP_NODELAY. Linux copies
// it from the listener, which acceptRaw sets; the first connection checks
// that it did (one getsockopt per listener), and only where it did not is
// it set on each (one setsockopt per connection).
func (a *acceptor) noDelay(cfd int) {
	state := a.inherits.Load()
	if state == 0 {
		state = 2
		if v, err := unix.GetsockoptInt(cfd, unix.IPPROTO_TCP, unix.TCP_NODELAY); err == nil && v != 0 {
			state = 1
		}
		a.inherits.Store(state)
	}
	if state == 2 {
		unix.SetsockoptInt(cfd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
}

// dupListener duplicates the listener's descriptor (non-blocking, as the
// original is: the flag is shared).
func dupListener(ln *net.TCPListener) (int, error) {
	rc, err := ln.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, derr := -1, error(nil)
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, os.NewSyscallError("dup", derr)
	}
	return nfd, nil
}

// startAccepted relays a client socket loop l accepted: dialled by l at
// once when the target is an address, after a lookup in a goroutine of its
// own when it is a name (resolved afresh for every connection). l's lock
// is held.
func (f *Forwarder) startAccepted(ctx context.Context, l *loop, a *acceptor, cfd int, sa syscall.Sockaddr) {
	sem := a.sem
	s := &session{id: f.nextID.Add(1), client: tcpAddr(sa), local: a.local, start: time.Now(), sem: sem}
	if a.local == nil && f.logger().Enabled(ctx, slog.LevelError) {
		if la, err := syscall.Getsockname(cfd); err == nil {
			s.local = tcpAddr(la)
		}
	}
	f.stats.opened()
	a.noDelay(cfd)
	register := func(abort func()) bool { return f.conns.add(s.id, abort) }
	if f.isLiteral {
		p := l.newConnecting(s, cfd, []netip.AddrPort{f.literal}, f.LocalAddr, f.dialTimeout(), f.finish)
		if !register(func() { l.abortPair(p) }) {
			unix.Close(cfd) // shutting down already
			f.finish(s, result{reason: ReasonShutdown})
			return
		}
		l.addConnectingLocked(p, true)
		return
	}
	go f.resolveRaw(ctx, s, cfd, register)
}

// resolveRaw looks the target up, then lets the relay connect.
func (f *Forwarder) resolveRaw(ctx context.Context, s *session, cfd int, register func(func()) bool) {
	timeout := f.dialTimeout()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if !register(cancel) {
		cancel() // shutting down: the lookup fails at once
	}
	addrs, err := resolve(rctx, f.Target, f.LocalAddr)
	if err != nil {
		unix.Close(cfd)
		r := result{reason: ReasonDialError, err: err}
		if ctx.Err() != nil && rctx.Err() == context.Canceled {
			r = result{reason: ReasonShutdown} // cut by the drain, not a lookup failure
		}
		f.finish(s, r)
		return
	}
	f.relay.connect(s, cfd, addrs, f.LocalAddr, timeout-time.Since(s.start), f.finish, register)
}
