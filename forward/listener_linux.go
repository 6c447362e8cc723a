package forward

import (
	"context"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// acceptBatch bounds the connections one loop accepts per wake-up, so a
// flood of new clients cannot starve the open ones.
const acceptBatch = 32

// acceptor is a listening socket served by the relay loops. Every loop
// watches it (EPOLLEXCLUSIVE: one loop wakes per connection) and keeps the
// connections it accepts, dial included, so a short connection never
// crosses threads.
type acceptor struct {
	f    *Forwarder
	ctx  context.Context
	fd   int // a duplicate of the listener's descriptor, owned here
	addr net.Addr
	// local is every accepted connection's local address when that is
	// known in advance (see fixedLocal), else nil.
	local *net.TCPAddr
	sem   semaphore
	errc  chan error // the permanent error that stopped it
	once  sync.Once
	// failing marks an episode of temporary accept errors, shared by the
	// loops so that it is logged once, not once per loop.
	failing atomic.Bool
	// inherits says whether accepted sockets come with TCP_NODELAY:
	// 0 not known yet, 1 yes, 2 no (see noDelay).
	inherits atomic.Int32
}

func (a *acceptor) fail(err error) {
	a.once.Do(func() { a.errc <- err })
}

// watchedListener is an acceptor as one loop sees it.
type watchedListener struct {
	a        *acceptor
	paused   bool          // out of the epoll set
	dead     bool          // stopped by a permanent error
	resumeAt int64         // reactor clock: a backoff ends; zero: paused for a free slot
	backoff  time.Duration // zero unless accept is failing
}

// addListener makes every loop watch a.
func (r *reactor) addListener(a *acceptor) error {
	for i, l := range r.loops {
		if err := l.addListener(a); err != nil {
			for _, l := range r.loops[:i] {
				l.removeListener(a)
			}
			return err
		}
	}
	return nil
}

// removeListener stops every loop watching a; none touches it afterwards.
func (r *reactor) removeListener(a *acceptor) {
	for _, l := range r.loops {
		l.removeListener(a)
	}
}

// slotFreed is called when a connection ends: loops that paused a
// listener at the connection limit watch it again.
func (r *reactor) slotFreed() {
	if r.slotWanted.CompareAndSwap(true, false) {
		for _, l := range r.loops {
			l.resumeWanted.Store(true)
			l.wake()
		}
	}
}

// addListener makes l watch a; a loop that failed refuses, as it stopped
// the listeners it watched then (see shutdown).
func (l *loop) addListener(a *acceptor) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return l.err
	}
	w := &watchedListener{a: a}
	if err := l.watchListener(w); err != nil {
		return err
	}
	l.listeners[int32(a.fd)] = w
	return nil
}

func (l *loop) removeListener(a *acceptor) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := l.listeners[int32(a.fd)]; w != nil {
		if !w.paused {
			unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, a.fd, nil)
		}
		delete(l.listeners, int32(a.fd))
	}
}

// watchListener puts w in the epoll set, level-triggered: connections
// left in the backlog wake the loop again.
func (l *loop) watchListener(w *watchedListener) error {
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLEXCLUSIVE, Fd: int32(w.a.fd)}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, w.a.fd, &ev); err != nil {
		return err
	}
	w.paused = false
	return nil
}

// pause takes w out of the epoll set until resumeAt, or until a slot is
// freed when resumeAt is zero.
func (l *loop) pause(w *watchedListener, resumeAt int64) {
	unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, w.a.fd, nil)
	w.paused, w.resumeAt = true, resumeAt
	if resumeAt == 0 {
		l.r.slotWanted.Store(true)
		if w.a.sem.free() { // a slot came free meanwhile: no wake-up will come
			l.r.slotFreed()
		}
	}
}

// resume watches the paused listeners again: those waiting for a slot
// when slots is true, and those whose backoff has ended.
func (l *loop) resume(slots bool) {
	for _, w := range l.listeners {
		if w.paused && !w.dead && ((slots && w.resumeAt == 0) || (w.resumeAt != 0 && l.now >= w.resumeAt)) {
			l.watchListener(w)
		}
	}
}

// nextResume is when the earliest backoff ends, zero when none runs.
func (l *loop) nextResume() int64 {
	var at int64
	for _, w := range l.listeners {
		if w.paused && !w.dead && w.resumeAt != 0 && (at == 0 || w.resumeAt < at) {
			at = w.resumeAt
		}
	}
	return at
}

// onAccept takes up to acceptBatch connections from w's backlog.
func (l *loop) onAccept(w *watchedListener) {
	a := w.a
	for range acceptBatch {
		if !a.sem.tryAcquire() {
			l.pause(w, 0)
			return
		}
		fd, sa, err := syscall.Accept4(a.fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err != nil {
			a.sem.release()
			l.r.slotFreed() // another loop may have paused for this slot
			if err != unix.EAGAIN && err != unix.EINTR {
				l.acceptError(w, err)
			}
			return
		}
		w.backoff = 0
		if a.failing.CompareAndSwap(true, false) {
			a.f.logger().Info("accept recovered", "local", a.addr.String())
		}
		a.f.active.Add(1)
		a.f.startAccepted(a.ctx, l, a, fd, sa)
	}
}

// acceptError backs off from a temporary error (EMFILE and the like:
// logged once per episode) and stops the listener on any other.
func (l *loop) acceptError(w *watchedListener, errno error) {
	a := w.a
	err := &net.OpError{Op: "accept", Net: "tcp", Addr: a.addr, Err: os.NewSyscallError("accept4", errno)}
	if !isTemporary(err) {
		a.f.logger().Error("accept failed, listener stopped", "local", a.addr.String(), "error", err)
		l.pause(w, 1)
		w.dead = true
		a.fail(err)
		return
	}
	if a.failing.CompareAndSwap(false, true) {
		a.f.logger().Error("accept failing, backing off", "local", a.addr.String(), "error", err)
	}
	w.backoff = nextBackoff(w.backoff)
	l.pause(w, l.now+int64(w.backoff))
}
