package forward

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// loop relays the pairs given to it from one epoll set. It holds no
// goroutine per connection: one goroutine waits on the epoll descriptor
// and moves the bytes of every pair that is ready. Pairs are added and
// aborted from other goroutines under mu; everything else belongs to the
// loop goroutine. Its times are nanoseconds on the reactor's monotonic
// clock (see reactor.clock), so a step of the wall clock moves no timeout.
type loop struct {
	epfd   int
	wakefd int           // eventfd that interrupts the wait
	idle   time.Duration // zero: no idle timeout
	events []unix.EpollEvent
	pool   pipePool
	now    int64
	runq   []*pair
	// connecting counts the pairs whose dial is under way; read without
	// mu by the wait, which must then wake for their timeouts.
	connecting atomic.Int32
	exited     chan struct{}

	r     *reactor
	timer int64 // reactor clock: the earliest listener backoff ends, or zero
	// resumeWanted asks the loop to watch again the listeners it paused
	// at the connection limit.
	resumeWanted atomic.Bool

	mu        sync.Mutex
	seq       int32 // the last tag given
	byFD      map[int32]*pair
	listeners map[int32]*watchedListener
	aborts    []*pair
	stopped   bool
	// err is why the loop stopped serving before it was stopped (see
	// shutdown); a loop that failed takes no pair any more.
	err error
}

func newLoop(r *reactor, idle time.Duration) (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("forward: epoll: %w", err)
	}
	l := &loop{r: r, epfd: epfd, wakefd: -1, idle: idle, byFD: make(map[int32]*pair),
		listeners: make(map[int32]*watchedListener),
		events:    make([]unix.EpollEvent, 128), exited: make(chan struct{})}
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
	if p.closed {
		return nil // aborted by a shutdown before it got here
	}
	for i := range p.fd {
		if err := l.watch(p, i); err != nil {
			for j := range i {
				l.unwatch(p, j)
			}
			p.closed = true // the caller takes the sockets back; a late abort must not
			return err
		}
	}
	return nil
}

// watch adds p's socket i to the epoll set under a fresh tag. Both
// directions and both halves are watched once, edge-triggered, for the
// pair's whole life: no epoll_ctl per transfer.
func (l *loop) watch(p *pair, i int) error {
	if l.err != nil {
		return l.err
	}
	l.seq++
	p.tags[i] = l.seq
	fd := p.fd[i]
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: fd, Pad: l.seq}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev); err != nil {
		return fmt.Errorf("forward: epoll_ctl: %w", err)
	}
	l.byFD[fd] = p
	return nil
}

// unwatch forgets p's socket i; closing it takes it out of the epoll set.
func (l *loop) unwatch(p *pair, i int) {
	if fd := p.fd[i]; fd >= 0 && l.byFD[fd] == p {
		delete(l.byFD, fd)
		unix.EpollCtl(l.epfd, unix.EPOLL_CTL_DEL, int(fd), nil)
	}
}

// abortPair asks the loop to close p with reason shutdown.
func (l *loop) abortPair(p *pair) {
	l.mu.Lock()
	l.aborts = append(l.aborts, p)
	l.mu.Unlock()
	l.wake()
}

// stop ends the loop once its pairs are gone, waits for it and closes
// its descriptors. Only then: until the reactor is closed other goroutines
// may wake the loop or (un)watch listeners, even after it failed, and must
// find its own descriptors there, not ones that reused their numbers.
func (l *loop) stop() {
	l.mu.Lock()
	l.stopped = true
	l.mu.Unlock()
	l.wake()
	<-l.exited
	unix.Close(l.wakefd)
	unix.Close(l.epfd)
}

func (l *loop) wake() {
	var one = [8]byte{1}
	unix.Write(l.wakefd, one[:])
}

// yieldEvery is how often a busy loop goes through the scheduler. The Go
// runtime's sysmon takes the P of a goroutine that has run 10 ms without
// being scheduled again, waiting in a system call or not, and then polls
// every 20 us for a while: 13% of redir's CPU time on one CPU in the
// round-trip benchmark. A Gosched now and then tells it the loop is well.
const yieldEvery = 5 * time.Millisecond

// run relays until the loop is stopped or fails, then ends what is left.
func (l *loop) run() {
	defer close(l.exited)
	l.shutdown(l.relay())
}

// relay waits for readiness and serves it until stopped (nil) or until
// epoll_wait fails (its error). The wait is a blocking epoll_wait on the
// loop's own thread: the kernel wakes it directly, with no hop through
// Go's poller and scheduler.
func (l *loop) relay() error {
	nextSweep := int64(math.MaxInt64)
	var yielded int64
	for {
		n, err := unix.EpollWait(l.epfd, l.events, l.waitMillis(nextSweep))
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("forward: relay loop: %w", os.NewSyscallError("epoll_wait", err))
		}
		l.now = l.r.clock()
		if l.now-yielded >= int64(yieldEvery) {
			runtime.Gosched()
			yielded = l.now
		}
		// Serve the batch before sweeping: bytes that arrived just before
		// a late wake-up are activity, not idleness.
		if !l.serve(l.events[:max(n, 0)]) {
			return nil
		}
		nextSweep = l.maybeSweep(nextSweep)
	}
}

// maybeSweep sweeps when it is time and returns when to sweep next.
func (l *loop) maybeSweep(next int64) int64 {
	every := int64(l.sweepEvery())
	if every <= 0 {
		return math.MaxInt64
	}
	next = min(next, l.now+every)
	if l.now < next {
		return next
	}
	l.sweep()
	return l.now + every
}

// waitMillis is epoll_wait's timeout: none when pairs wait on the run
// queue, else until the next sweep or the end of a listener's backoff,
// whichever comes first; forever when neither is due.
func (l *loop) waitMillis(nextSweep int64) int {
	if len(l.runq) > 0 {
		return 0
	}
	at := nextSweep
	if nextSweep == math.MaxInt64 && l.sweepEvery() > 0 {
		at = l.r.clock() + int64(l.sweepEvery())
	}
	if l.timer != 0 {
		at = min(at, l.timer)
	}
	if at == math.MaxInt64 {
		return -1
	}
	return int(max(0, (at-l.r.clock()+int64(time.Millisecond)-1)/int64(time.Millisecond)))
}

// serve handles one batch of events and the run queue; false once stopped
// with no pair left.
func (l *loop) serve(events []unix.EpollEvent) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.timer != 0 && l.now >= l.timer {
		l.resume(false)
	}
	for _, ev := range events {
		if ev.Fd == int32(l.wakefd) {
			l.onWake()
			continue
		}
		if w := l.listeners[ev.Fd]; w != nil {
			if !w.paused {
				l.onAccept(w)
			}
			continue
		}
		if p := l.byFD[ev.Fd]; p != nil && !p.closed {
			l.dispatch(p, ev)
		}
	}
	l.runQueue()
	l.timer = l.nextResume()
	return !(l.stopped && len(l.byFD) == 0)
}

// readable are the events after which a socket may have bytes or its end
// to read; ending those that may say it ended.
const (
	readable = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR
	ending   = unix.EPOLLRDHUP | unix.EPOLLHUP | unix.EPOLLERR
)

// dispatch pumps what an event makes possible: reading from the ready
// socket, and writing to it what was waiting for room.
func (l *loop) dispatch(p *pair, ev unix.EpollEvent) {
	side := 0
	if ev.Fd == p.fd[1] {
		side = 1
	}
	if ev.Pad != p.tags[side] {
		return // for a socket this fd number named before
	}
	if p.dial != nil {
		if side == 1 {
			l.onConnect(p, ev.Events)
		} else {
			p.dial.client |= ev.Events & readable
		}
		return
	}
	if ev.Events&unix.EPOLLERR != 0 && l.failed(p, side) {
		return
	}
	if ev.Events&readable != 0 {
		l.step(p, side, ev.Events&ending == 0)
	}
	if ev.Events&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 && !p.closed && p.dir[1-side].pending > 0 {
		l.step(p, 1-side, false)
	}
}
