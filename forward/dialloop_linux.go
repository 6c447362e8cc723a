package forward

import (
	"net"
	"net/netip"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// dialSweep is how often a loop looks at dial timeouts while one runs.
const dialSweep = 100 * time.Millisecond

// connect relays the accepted client socket cfd to the first of addrs that
// answers within timeout, from local when it is set. The pair's loop makes
// the connection: no goroutine waits for it. register gets the func that
// aborts the relay (false: too late, abort it at once); done is called
// once, when it ends.
func (r *reactor) connect(s *session, cfd int, addrs []netip.AddrPort, local *net.TCPAddr,
	timeout time.Duration, done func(*session, result), register func(abort func()) bool) {
	l := r.loops[int(r.next.Add(1))%len(r.loops)]
	p := l.newConnecting(s, cfd, addrs, local, timeout, done)
	abort := func() { l.abortPair(p) }
	late := !register(abort)
	l.mu.Lock()
	l.addConnectingLocked(p, false)
	l.mu.Unlock()
	if late {
		abort()
	}
}

// newConnecting makes the pair for client socket cfd, to be connected.
func (l *loop) newConnecting(s *session, cfd int, addrs []netip.AddrPort, local *net.TCPAddr,
	timeout time.Duration, done func(*session, result)) *pair {
	p := newPair(s, cfd, -1, done)
	now := l.r.clock()
	p.last = now
	p.dial = &dialState{addrs: addrs, local: local, deadline: now + int64(timeout)}
	return p
}

// addConnectingLocked starts p's dial and watches both of its sockets;
// l's lock is held. Called from another goroutine, it wakes the loop,
// whose wait may be endless, to time the dial.
func (l *loop) addConnectingLocked(p *pair, inLoop bool) {
	if p.closed {
		return // aborted by a shutdown before it got here
	}
	if l.connecting.Add(1) == 1 && !inLoop {
		l.wake()
	}
	fd, err := p.dial.advance(l.r.clock(), nil)
	if err != nil {
		l.closePair(p, result{reason: ReasonDialError, err: err})
		return
	}
	p.fd[1] = int32(fd)
	for i := range p.fd {
		if err := l.watch(p, i); err != nil {
			l.closePair(p, result{reason: ReasonError, err: err})
			return
		}
	}
}

// onConnect handles an event on a target socket being connected. EPOLLOUT
// without an error or hang-up is a connection made: no need to ask
// SO_ERROR, a system call per connection.
func (l *loop) onConnect(p *pair, events uint32) {
	if events&(unix.EPOLLERR|unix.EPOLLHUP) == 0 {
		if events&unix.EPOLLOUT != 0 {
			l.connected(p, events)
		}
		return
	}
	errno, err := unix.GetsockoptInt(int(p.fd[1]), unix.SOL_SOCKET, unix.SO_ERROR)
	switch {
	case err != nil:
		l.retry(p, dialError(p.dial.cur, err))
	case errno != 0:
		l.retry(p, dialError(p.dial.cur, syscall.Errno(errno)))
	case events&unix.EPOLLOUT != 0:
		l.connected(p, events)
	}
}

// connected starts relaying: what either side sent meanwhile, and any end
// already seen, is taken up by pumping the directions whose source has
// reported something (events is the target's; the client's were kept in
// dial.client). A source that has reported nothing has nothing to read:
// both sockets are watched edge-triggered since before the connect, so
// whatever comes later is an event of its own.
func (l *loop) connected(p *pair, events uint32) {
	client := p.dial.client
	p.s.target = net.TCPAddrFromAddrPort(p.dial.cur)
	p.dial = nil
	l.connecting.Add(-1)
	p.last = l.now
	if client != 0 {
		l.step(p, 0, client&ending == 0)
	}
	if events&readable != 0 && !p.closed {
		l.step(p, 1, events&ending == 0)
	}
}

// retry drops the failed attempt and tries the next address; with none
// left the pair ends with reason "dial error" and the last error.
func (l *loop) retry(p *pair, err error) {
	l.unwatch(p, 1)
	unix.Close(int(p.fd[1]))
	p.fd[1] = -1
	fd, err := p.dial.advance(l.now, err)
	if err != nil {
		l.closePair(p, result{reason: ReasonDialError, err: err})
		return
	}
	p.fd[1] = int32(fd)
	if err := l.watch(p, 1); err != nil {
		l.closePair(p, result{reason: ReasonError, err: err})
	}
}
