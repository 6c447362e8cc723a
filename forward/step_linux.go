package forward

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// step pumps direction i of p and closes p when it is over; fresh as for
// pair.pump.
func (l *loop) step(p *pair, i int, fresh bool) {
	if p.closed {
		return
	}
	switch err := p.pump(i, &l.pool, l.now, fresh); err {
	case nil:
	case errBudget:
		if !p.queued {
			p.queued = true
			l.runq = append(l.runq, p)
		}
		return
	default:
		l.closePair(p, result{reason: classifyErrno(err), err: err})
		return
	}
	if p.dir[0].eof && p.dir[1].eof {
		l.closePair(p, result{reason: ReasonEOF})
	}
}

// runQueue gives the pairs that used their budget another turn.
func (l *loop) runQueue() {
	q := l.runq
	l.runq = nil
	for _, p := range q {
		p.queued = false
		for i := 0; i < 2 && !p.closed; i++ {
			l.step(p, i, false)
		}
	}
}

// onWake takes the aborts asked for by other goroutines.
func (l *loop) onWake() {
	var buf [8]byte
	unix.Read(l.wakefd, buf[:])
	if l.resumeWanted.Swap(false) {
		l.resume(true)
	}
	for _, p := range l.aborts {
		if !p.closed {
			l.closePair(p, result{reason: ReasonShutdown})
		}
	}
	l.aborts = nil
}

// closePair closes both sockets, frees the pipes and reports the result.
func (l *loop) closePair(p *pair, r result) {
	if p.closed {
		return
	}
	p.closed = true
	p.release(&l.pool)
	if p.dial != nil {
		p.dial = nil
		l.connecting.Add(-1)
	}
	for i, fd := range p.fd {
		if fd >= 0 {
			delete(l.byFD, fd)
			unix.Close(int(fd))
			p.fd[i] = -1
		}
	}
	r.fromClient, r.fromTarget = p.dir[0].n, p.dir[1].n
	p.done(p.s, r)
}

// failed closes p when the socket on side has a pending error (a reset):
// the kernel has dropped what it held, and a direction that already ended
// would otherwise never look at the socket again.
func (l *loop) failed(p *pair, side int) bool {
	errno, err := unix.GetsockoptInt(int(p.fd[side]), unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil || errno == 0 {
		return false
	}
	e := syscall.Errno(errno)
	l.closePair(p, result{reason: classifyErrno(e), err: e})
	return true
}

// sweep closes the pairs idle for the idle timeout and moves on the dials
// whose attempt ran out of time.
func (l *loop) sweep() {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit := l.now - int64(l.idle)
	for fd, p := range l.byFD {
		switch {
		case fd != p.fd[0] || p.closed:
		case p.dial != nil:
			if l.now >= p.dial.tryUntil {
				l.retry(p, dialError(p.dial.cur, unix.ETIMEDOUT))
			}
		case l.idle > 0 && p.last < limit:
			l.closePair(p, result{reason: ReasonIdle})
		}
	}
}

// sweepEvery is the time between sweeps, zero for none: a quarter of the
// idle timeout (at most a second), so a pair is closed between 1 and 1.25
// idle timeouts after its last byte; a tenth of a second while a dial is
// under way, for its timeout.
func (l *loop) sweepEvery() time.Duration {
	var d time.Duration
	if l.idle > 0 {
		d = min(l.idle/4, time.Second)
	}
	if l.connecting.Load() > 0 && (d == 0 || d > dialSweep) {
		d = dialSweep
	}
	return d
}

// shutdown ends what the loop still holds. After stop no pair is left;
// after a failure (err) its pairs end with err, the listeners it watches
// stop with it (so Serve returns it) and watch refuses new pairs. The
// descriptors stay open until stop.
func (l *loop) shutdown(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := result{reason: ReasonShutdown}
	if err != nil {
		l.err = err
		r = result{reason: ReasonError, err: err}
		for _, w := range l.listeners {
			w.a.f.logger().Error("relay loop failed, listener stopped", "local", w.a.addr.String(), "error", err)
			w.a.fail(err)
		}
	}
	for fd, p := range l.byFD {
		if fd == p.fd[0] && !p.closed {
			l.closePair(p, r)
		}
	}
	l.pool.closeAll()
}
