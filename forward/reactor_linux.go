package forward

import (
	"fmt"
	"net"
	"runtime"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// reactor is the zero-copy relay: a few loops (see loopCount), each relaying
// its share of the connections with splice(2). An idle connection costs its
// two sockets and a small struct: no goroutine, no pipe.
type reactor struct {
	loops []*loop
	next  atomic.Uint32
	// slotWanted says a loop paused a listener at the connection limit
	// and waits for a connection to end.
	slotWanted atomic.Bool
	epoch      time.Time // the origin of clock
}

// clock is the relay's time: nanoseconds since the reactor started, read
// from the monotonic clock.
func (r *reactor) clock() int64 { return int64(time.Since(r.epoch)) }

func newReactor(idle time.Duration) (*reactor, error) {
	r := &reactor{epoch: time.Now()}
	for i := 0; i < loopCount(); i++ {
		l, err := newLoop(r, idle)
		if err != nil {
			r.close()
			return nil, err
		}
		r.loops = append(r.loops, l)
	}
	return r, nil
}

// close stops every loop; call it once no pair is left.
func (r *reactor) close() {
	for _, l := range r.loops {
		l.stop()
	}
}

// start takes c and t over and relays between them until done is called.
// Before the relay starts, register is given the func that aborts it (and
// says false when that is too late: the relay is then aborted at once). On
// success c and t are closed (the pair holds its own descriptors); on error
// both are left untouched.
func (r *reactor) start(s *session, c, t *net.TCPConn, done func(*session, result), register func(abort func()) bool) error {
	cfd, err := dupFD(c)
	if err != nil {
		return err
	}
	tfd, err := dupFD(t)
	if err != nil {
		unix.Close(cfd)
		return err
	}
	l := r.loops[int(r.next.Add(1))%len(r.loops)]
	p := newPair(s, cfd, tfd, done)
	p.last = r.clock()
	abort := func() { l.abortPair(p) }
	late := !register(abort)
	if err := l.add(p); err != nil {
		unix.Close(cfd)
		unix.Close(tfd)
		return err
	}
	c.Close()
	t.Close()
	if late {
		abort()
	}
	return nil
}

// dupFD duplicates the conn's descriptor, which keeps O_NONBLOCK, so the
// socket outlives the conn and leaves Go's poller when the conn is closed.
func dupFD(c *net.TCPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	cerr := rc.Control(func(fd uintptr) {
		nfd, err = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return -1, cerr
	}
	if err != nil {
		return -1, fmt.Errorf("forward: dup: %w", err)
	}
	return nfd, nil
}

// loopCount is half of GOMAXPROCS, at least one. A loop's thread blocks in
// epoll_wait holding no P, and when no P is left idle the runtime treats
// such a thread as stalled: sysmon takes its P at 20 µs intervals and
// hands it around, which cost an eighth of redir's CPU under load. With
// twice as many Ps as loops that never happens; cmd/redir doubles
// GOMAXPROCS at start for it.
func loopCount() int {
	return max(1, runtime.GOMAXPROCS(0)/2)
}
