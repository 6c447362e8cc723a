package forward

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Why a connection ended, as its record's "reason" says.
const (
	ReasonEOF       = "eof"          // both sides closed their write side
	ReasonIdle      = "idle timeout" // no byte either way for IdleTimeout
	ReasonReset     = "reset"        // a peer reset or a write hit a closed peer
	ReasonDialError = "dial error"   // the target could not be reached
	ReasonShutdown  = "shutdown"     // still open when the drain timeout ran out
	ReasonError     = "error"        // any other I/O error
)

// session is one accepted connection, from accept to its record.
type session struct {
	id     uint64
	parent uint64 // the connection this one belongs to (Relay), or 0
	// kids counts the connections Relay tied to this one (only when a Wrap
	// hook may call Relay); of is the parent's, for a connection Relay made.
	kids, of *kids
	client   net.Addr
	local    net.Addr
	target   net.Addr // the address dialled; nil until the dial succeeds
	start    time.Time
	sem      semaphore
}

// result is how a relay ended.
type result struct {
	fromClient int64 // bytes read from the client and sent to the target
	fromTarget int64 // bytes read from the target and sent to the client
	reason     string
	err        error
}

// handle dials the target for the accepted client conn and starts the relay.
// It owns c: every path ends with both conns closed and one record.
func (f *Forwarder) handle(ctx context.Context, c net.Conn, sem semaphore) {
	s := &session{id: f.nextID.Add(1), client: c.RemoteAddr(), local: c.LocalAddr(), start: time.Now(), sem: sem}
	f.stats.opened()
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.dialTimeout())
	var aborted atomic.Bool
	abort := func() { aborted.Store(true); cancel(); c.Close() }
	if !f.conns.add(s.id, abort) {
		abort() // shutting down: the dial fails at once
	}
	t, err := f.dialTarget(dctx, s)
	cancel()
	if err != nil {
		c.Close()
		r := result{reason: ReasonDialError, err: err}
		if aborted.Load() {
			r = result{reason: ReasonShutdown}
		}
		f.finish(s, r)
		return
	}
	s.target = t.RemoteAddr()
	f.startRelay(s, c, t)
}

// startRelay picks the splice relay when both ends are plain TCP conns and
// the user-space copy otherwise (wrapped conns need their bytes seen).
func (f *Forwarder) startRelay(s *session, c, t net.Conn) {
	if s.parent == 0 && f.Hooks.Wrap != nil {
		s.kids = new(kids)
		f.parents.Store(s.id, s.kids) // before Wrap: Relay may tie children to it
	}
	c, t, err := f.wrap(s, c, t)
	if err != nil {
		c.Close()
		t.Close()
		f.finish(s, result{reason: ReasonError, err: err})
		return
	}
	ct, ok1 := c.(*net.TCPConn)
	tt, ok2 := t.(*net.TCPConn)
	if ok1 && ok2 && f.relay != nil {
		err := f.relay.start(s, ct, tt, f.finish, func(abort func()) bool { return f.conns.add(s.id, abort) })
		if err == nil {
			return
		}
		f.logger().Debug("splice relay unavailable, copying in user space", "conn", s.id, "error", err)
	}
	cp := &copier{c: c, t: t, idle: f.IdleTimeout, kids: s.kids}
	if !f.conns.add(s.id, cp.abort) {
		cp.abort()
	}
	go func() { f.finish(s, cp.run()) }()
}

// finish records the end of a session and frees its slot.
func (f *Forwarder) finish(s *session, r result) {
	f.conns.remove(s.id)
	if s.kids != nil {
		f.parents.Delete(s.id)
	}
	if s.of != nil {
		s.of.done()
	}
	f.stats.closed(r.fromClient, r.fromTarget)
	f.report(s, r)
	s.sem.release()
	if f.relay != nil {
		f.relay.slotFreed()
	}
	f.active.Done()
}

// connSet holds a way to abort each open connection, for the drain timeout.
type connSet struct {
	mu      sync.Mutex
	abort   map[uint64]func()
	closing bool // closeAll has run: a connection added now is late
}

// add records how to abort connection id (replacing what was recorded).
// After closeAll it records nothing and returns false: the caller must
// then abort the connection itself, at a point where that is safe.
func (s *connSet) add(id uint64, abort func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	if s.abort == nil {
		s.abort = make(map[uint64]func())
	}
	s.abort[id] = abort
	return true
}

func (s *connSet) remove(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.abort, id)
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	s.closing = true
	fns := make([]func(), 0, len(s.abort))
	for _, fn := range s.abort {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}
