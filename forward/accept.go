package forward

import (
	"context"
	"errors"
	"net"
	"syscall"
	"time"
)

// Backoff bounds after a temporary accept error, as in net/http's Server.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// semaphore caps the connections being handled; nil means no cap.
type semaphore chan struct{}

func newSemaphore(n int) semaphore {
	if n <= 0 {
		return nil
	}
	return make(semaphore, n)
}

// acquire waits for a free slot; false when ctx ends first.
func (s semaphore) acquire(ctx context.Context) bool {
	if s == nil {
		return true
	}
	select {
	case s <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// tryAcquire takes a free slot if there is one, without waiting.
func (s semaphore) tryAcquire() bool {
	if s == nil {
		return true
	}
	select {
	case s <- struct{}{}:
		return true
	default:
		return false
	}
}

// free says whether a slot is free just now.
func (s semaphore) free() bool { return s == nil || len(s) < cap(s) }

func (s semaphore) release() {
	if s != nil {
		<-s
	}
}

// acceptLoop accepts on ln until ctx is done, handing each connection to
// its own goroutine. The slot is taken after Accept: a listener waiting
// for clients must not hold one that another listener could use. So at the
// limit one client per listener waits accepted, the rest in the backlog.
// Temporary errors (EMFILE and the like) back off from 5 ms doubling to 1 s,
// logged once per episode; anything else is returned.
func (f *Forwarder) acceptLoop(ctx context.Context, ln net.Listener, sem semaphore) error {
	if tl, ok := ln.(*net.TCPListener); ok && f.relay != nil && !f.hooked() {
		return f.acceptRaw(ctx, tl, sem)
	}
	var b backoff
	for {
		c, err := ln.Accept()
		if err != nil {
			if err := f.acceptFailed(ctx, ln, err, &b); err != nil || ctx.Err() != nil {
				return err
			}
			continue
		}
		f.acceptOK(ln, &b)
		if !sem.acquire(ctx) {
			c.Close() // shutting down
			return nil
		}
		f.active.Add(1)
		go f.handle(ctx, c, sem)
	}
}

// backoff is the wait after a temporary accept error; zero when accepting.
type backoff time.Duration

// acceptFailed handles an accept error: after shutdown it is the expected
// end; a temporary one (EMFILE and the like) is waited out, logged once
// per episode; anything else is returned, and stops this listener.
func (f *Forwarder) acceptFailed(ctx context.Context, ln net.Listener, err error, b *backoff) error {
	if ctx.Err() != nil {
		return nil
	}
	if !isTemporary(err) {
		f.logger().Error("accept failed, listener stopped", "local", ln.Addr().String(), "error", err)
		return err
	}
	if *b == 0 {
		f.logger().Error("accept failing, backing off", "local", ln.Addr().String(), "error", err)
	}
	*b = backoff(nextBackoff(time.Duration(*b)))
	sleep(ctx, time.Duration(*b))
	return nil
}

// acceptOK ends a backoff episode, if one was under way.
func (f *Forwarder) acceptOK(ln net.Listener, b *backoff) {
	if *b != 0 {
		f.logger().Info("accept recovered", "local", ln.Addr().String())
		*b = 0
	}
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return minBackoff
	}
	return min(2*d, maxBackoff)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// isTemporary tells the accept errors worth waiting out: the process or the
// system is out of descriptors or memory, or one client gave up before the
// accept finished.
func isTemporary(err error) bool {
	for _, errno := range []syscall.Errno{
		syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EPROTO, syscall.EPERM,
		syscall.EINTR, syscall.EAGAIN,
	} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
