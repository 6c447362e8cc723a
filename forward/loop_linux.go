package forward

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// loop relays the pairs given to it from one epoll set. It holds no
// goroutine per connection: one goroutine waits on the epoll descriptor
// and moves the
// bytes of every pair that is ready. Pairs are added and aborted from other
// goroutines under mu; everything else belongs to the loop goroutine.
type loop struct {
	epfd   int
	wakefd int      // eventfd that interrupts the wait
	idle   time.Duration // zero: no idle timeout
	events []unix.EpollEvent
	nready int
	pool   pipePool
	now    int64
	runq   []*pair
	exited chan struct{}

	mu      sync.Mutex
	byFD    map[int32]*pair
	aborts  []*pair
	stopped bool
}

func newLoop(idle time.Duration) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("forward: epoll: %w", err)
	}
	l := &loop{epfd: epfd, wakefd: -1, idle: idle, byFD: make(map[int32]*pair),
		events: make([]unix.EpollEvent, 128), exited: make(chan struct{})}
	if err := l.init(); err != nil {
		unix.Close(epfd)
		if l.wakefd >= 0 {
			unix.Close(l.wakefd)
		}
		return nil, err
	}
	go l.run()
	return l, nil
}

// init registers the wake eventfd.
func (l *loop) init() error {
	var err error
	if l.wakefd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return fmt.Errorf("forward: eventfd: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLET, Fd: int32(l.wakefd)}
	if err = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, l.wakefd, &ev); err != nil {
		return fmt.Errorf("forward: epoll_ctl: %w", err)
	}
	return nil
}

// add registers p's sockets; from then on the loop owns them.
func (l *loop) add(p *pair) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, fd := range p.fd {
		l.byFD[fd] = p
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: fd, Pad: p.tag}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
			for _, f := range p.fd[:i+1] {
				delete(l.byFD, f)
				unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, int(f), nil)
			}
			return fmt.Errorf("forward: epoll_ctl: %w", err)
		}
	}
	return nil
}

// abortPair asks the loop to close p with reason shutdown.
func (l *loop) abortPair(p *pair) {
	l.mu.Lock()
	l.aborts = append(l.aborts, p)
	l.mu.Unlock()
	l.wake()
}

// stop ends the loop once its pairs are gone, and waits for it.
func (l *loop) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.wake()
	<-l.exited
}

func (l *loop) wake() {
	var one = [8]byte{1}
	unix.Write(l.wakefd, one[:])
}

// run waits for readiness and serves it until stopped. The wait is a
// blocking epoll_wait on the loop's own thread: the kernel wakes it
// directly, with no hop through Go's poller and scheduler.
func (l *loop) run() {
	defer close(l.exited)
	defer l.shutdown()
	l.now = time.Now().UnixNano()
	nextSweep := l.now + int64(l.sweepEvery())
	for {
		n, err := unix.EpollWait(l.epfd, l.events, l.waitMillis(nextSweep))
		if err != nil && err != unix.EINTR {
			return
		}
		l.nready = max(n, 0)
		l.now = time.Now().UnixNano()
		if l.idle > 0 && l.now >= nextSweep {
			l.sweep()
			nextSweep = l.now + int64(l.sweepEvery())
		}
		if !l.serve() {
			return
		}
	}
}

// waitMillis is epoll_wait's timeout: none when pairs wait on the run
// queue, until the next sweep under an idle timeout, else forever.
func (l *loop) waitMillis(nextSweep int64) int {
	switch {
	case len(l.runq) > 0:
		return 0
	case l.idle <= 0:
		return -1
	}
	return int(max(0, (nextSweep-time.Now().UnixNano()+int64(time.Millisecond)-1)/int64(time.Millisecond)))
}

// serve handles one batch of events and the run queue; false once stopped
// with no pair left.
func (l *loop) serve() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ev := range l.events[:l.nready] {
		if ev.Fd == int32(l.wakefd) {
			l.onWake()
			continue
		}
		if p := l.byFD[ev.Fd]; p != nil && p.tag == ev.Pad && !p.closed {
			l.dispatch(p, ev)
		}
	}
	l.nready = 0
	l.runQueue()
	return !(l.stopped && len(l.byFD) == 0)
}

// dispatch pumps what an event makes possible: reading from the ready
// socket, and writing to it what was waiting for room.
func (l *loop) dispatch(p *pair, ev unix.EpollEvent) {
	side := 0
	if ev.Fd == p.fd[1] {
		side = 1
	}
	if ev.Events&unix.EPOLLERR != 0 && l.failed(p, side) {
		return
	}
	const readable = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR
	if ev.Events&readable != 0 {
		l.step(p, side)
	}
	if ev.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 && p.dir[1-side].pending > 0 {
		l.step(p, 1-side)
	}
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
