package forward

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// CopyBufferSize is the most one read of a wrapped conn is asked for: a
// wrapper (the shaper) sees packets of at most this size.
const CopyBufferSize = 32 << 10

// errIdle ends a relay that moved no byte for the idle timeout.
var errIdle = errors.New("forward: idle timeout")

// copier relays through user space: the path for conns that are not plain
// *net.TCPConn (wrappers that must see the bytes). Both directions run in
// their own goroutine; half-close is passed through with CloseWrite.
type copier struct {
	c, t    net.Conn
	idle    time.Duration // zero: no idle timeout
	last    atomic.Int64  // UnixNano of the last byte moved either way
	aborted atomic.Bool
	// kids are the connections Relay tied to this one (FTP data
	// connections); nil when there can be none.
	kids *kids
}

// kids counts the open connections tied to a parent: while one is open
// the parent is not idle, and the end of one counts as activity.
type kids struct {
	open  atomic.Int32
	ended atomic.Int64 // UnixNano when the last one ended
}

func (k *kids) started() { k.open.Add(1) }

func (k *kids) done() {
	k.ended.Store(time.Now().UnixNano())
	k.open.Add(-1)
}

// busy says whether the relay is not idle: a byte moved either way within
// the idle timeout, a conn is holding bytes back (see Hooks.Wrap), or a
// connection tied to it is open or ended within the idle timeout.
func (cp *copier) busy() bool {
	if time.Since(cp.lastTime()) < cp.idle || holding(cp.c) || holding(cp.t) {
		return true
	}
	k := cp.kids
	return k != nil && (k.open.Load() > 0 || time.Since(time.Unix(0, k.ended.Load())) < cp.idle)
}

// holding says whether c is a wrapper holding bytes back just now.
func holding(c net.Conn) bool {
	h, ok := c.(interface{ Holding() bool })
	return ok && h.Holding()
}

// abort closes both conns at the drain timeout.
func (cp *copier) abort() {
	cp.aborted.Store(true)
	cp.c.Close()
	cp.t.Close()
}

// run relays until both directions end, closes both conns and says why.
func (cp *copier) run() result {
	cp.last.Store(time.Now().UnixNano())
	var r result
	errc := make(chan error, 2)
	go cp.copyHalf(cp.t, cp.c, &r.fromClient, errc)
	go cp.copyHalf(cp.c, cp.t, &r.fromTarget, errc)
	var first error
	for i := 0; i < 2; i++ {
		if err := <-errc; err != nil && first == nil {
			first = err
			cp.c.Close() // unblock the other direction
			cp.t.Close()
		}
	}
	cp.c.Close()
	cp.t.Close()
	r.reason, r.err = cp.classify(first)
	return r
}

// idleGrace is how long a read deadline that found the relay idle waits
// before it ends the relay: the other direction may be handing over bytes
// just now, between a wrapper's hold ending (Holding false) and the byte
// count noting them, and a hold as long as a multiple of the idle timeout
// ends just when a deadline passes.
const idleGrace = 50 * time.Millisecond

// copyHalf copies src to dst until EOF, then half-closes dst.
func (cp *copier) copyHalf(dst, src net.Conn, n *int64, errc chan<- error) {
	defer recoverWrapper(errc)
	buf := make([]byte, CopyBufferSize)
	graced := false
	for {
		if cp.idle > 0 {
			wait := cp.idle
			if graced {
				wait = idleGrace
			}
			src.SetReadDeadline(time.Now().Add(wait))
		}
		nr, err := src.Read(buf)
		if nr > 0 {
			cp.last.Store(time.Now().UnixNano())
			if werr := cp.write(dst, buf[:nr], n); werr != nil {
				errc <- werr
				return
			}
		}
		idle := errors.Is(err, os.ErrDeadlineExceeded) && !cp.busy()
		switch {
		case err == io.EOF:
			errc <- CloseWrite(dst)
			return
		case idle && !graced:
			graced = true // look once more, shortly
		case idle:
			errc <- errIdle
			return
		case err != nil && !errors.Is(err, os.ErrDeadlineExceeded):
			errc <- err
			return
		default: // bytes moved, or the other direction or a child is busy
			graced = false
		}
	}
}

// write writes all of b to dst, counting into n. Under an idle timeout a
// write that waits for the peer to read is idleness too: it gives up once
// nothing has moved either way for that long.
func (cp *copier) write(dst net.Conn, b []byte, n *int64) error {
	for len(b) > 0 {
		if cp.idle > 0 {
			dst.SetWriteDeadline(time.Now().Add(cp.idle))
		}
		nw, err := dst.Write(b)
		atomic.AddInt64(n, int64(nw))
		b = b[nw:]
		if nw > 0 {
			cp.last.Store(time.Now().UnixNano())
		}
		switch {
		case err == nil:
		case errors.Is(err, os.ErrDeadlineExceeded) && cp.busy():
		case errors.Is(err, os.ErrDeadlineExceeded):
			return errIdle
		default:
			return err
		}
	}
	return nil
}

// recoverWrapper turns a panic in a wrapper's Read or Write (a bug, such as
// a parser indexing out of range on hostile input) into the end of this one
// connection, with the panic in its record, instead of the end of the
// process and every connection in it. Every other way out of copyHalf has
// sent on errc already; a panic has not.
func recoverWrapper(errc chan<- error) {
	if v := recover(); v != nil {
		errc <- fmt.Errorf("forward: panic in a connection wrapper: %v", v)
	}
}

func (cp *copier) lastTime() time.Time { return time.Unix(0, cp.last.Load()) }

func (cp *copier) classify(err error) (string, error) {
	switch {
	case cp.aborted.Load():
		return ReasonShutdown, nil
	case err == nil:
		return ReasonEOF, nil
	case errors.Is(err, errIdle):
		return ReasonIdle, nil
	}
	return classifyErrno(err), err
}

// classifyErrno tells a peer's reset from other I/O errors. ENOTCONN is
// the half-close of a socket the peer has already reset.
func classifyErrno(err error) string {
	if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ENOTCONN) {
		return ReasonReset
	}
	return ReasonError
}
