// Package shaper slows the bytes read from a connection down on purpose,
// the way redir's traffic-shaping options ask: packets of at most a set
// size, each held back by a random wait and spaced so that the direction
// carries no more than a set number of bits per second.
//
// A shaped conn shapes its reads only; writes, deadlines, half-close and
// close pass through. Each shaped conn keeps its own schedule, so wrapping
// the two conns of a relayed pair shapes each direction on its own and
// one never waits for the other. It holds no buffer: a packet is read
// straight into the caller's slice and held there until it may go.
//
// While a conn holds a packet back it says so (Holding), so that a relay
// does not take the wait for idleness: bytes are on their way.
//
// The package knows nothing of redir's directions (-o) or options; the
// caller decides which conn's reads to shape.
package shaper

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultPacket is the packet size when Config.Packet is zero: redir 3.3's
// default -z.
const DefaultPacket = 4096

// Config says how to shape the reads of a conn. A Config with neither
// Rate nor Wait leaves the reads as they are, Packet included.
type Config struct {
	// Rate is the most bits per second the reads deliver, measured over
	// any interval, give or take Burst(Rate, Packet) bytes. Zero means no
	// limit.
	Rate int64
	// Wait, when positive, holds each packet for a uniformly random time
	// from 0 up to (not including) 2*Wait, so Wait is the mean wait.
	Wait time.Duration
	// Packet is the most bytes one read delivers. Zero means DefaultPacket.
	Packet int
}

// Conn is a net.Conn whose reads are shaped.
type Conn struct {
	net.Conn
	wait   time.Duration // no random wait unless positive
	packet int
	pace   *pacer // nil: no rate limit

	// For tests: rng, when set, draws the random waits instead of the
	// shared source, and drew, when set, is told each wait drawn.
	rng  *rand.Rand
	drew func(time.Duration)

	timer     *time.Timer   // reused for every hold; only Read uses it
	holding   atomic.Bool   // a packet is being held back
	done      chan struct{} // closed by Close: ends a hold
	closeOnce sync.Once
}

// Wrap returns c with its reads shaped as cfg says. Reads of the returned
// conn must come from one goroutine at a time, as a relay's do.
func Wrap(c net.Conn, cfg Config) *Conn {
	s := &Conn{Conn: c, wait: cfg.Wait, packet: cfg.Packet, done: make(chan struct{})}
	if s.packet <= 0 {
		s.packet = DefaultPacket
	}
	if cfg.Rate > 0 {
		s.pace = newPacer(cfg.Rate)
	}
	return s
}

// Read reads one packet, at most Config.Packet bytes, and returns it once
// the random wait and the rate let it go. The wait for bytes to arrive
// honours the read deadline; holding bytes that have arrived does not, as
// the connection is not idle then, but Close ends the hold and the bytes
// are dropped with the connection.
func (s *Conn) Read(p []byte) (int, error) {
	if s.wait <= 0 && s.pace == nil { // Config shapes nothing
		return s.Conn.Read(p)
	}
	if len(p) > s.packet {
		p = p[:s.packet]
	}
	n, err := s.Conn.Read(p)
	if n == 0 {
		return n, err
	}
	at := time.Now()
	if s.wait > 0 {
		at = at.Add(s.randomWait())
	}
	if s.pace != nil {
		at = s.pace.release(at, n)
	}
	if herr := s.holdUntil(at); herr != nil {
		return 0, herr
	}
	return n, err
}

// randomWait draws a wait from 0 up to (not including) 2*wait.
func (s *Conn) randomWait() time.Duration {
	var d time.Duration
	if s.rng != nil {
		d = time.Duration(s.rng.Int64N(int64(2 * s.wait)))
	} else {
		d = rand.N(2 * s.wait)
	}
	if s.drew != nil {
		s.drew(d)
	}
	return d
}

// holdUntil sleeps until t, or returns net.ErrClosed as soon as the conn
// is closed.
func (s *Conn) holdUntil(t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return nil
	}
	s.holding.Store(true)
	defer s.holding.Store(false)
	if s.timer == nil {
		s.timer = time.NewTimer(d)
	} else {
		s.timer.Reset(d)
	}
	select {
	case <-s.timer.C:
		return nil
	case <-s.done:
		s.timer.Stop()
		return net.ErrClosed
	}
}

// Holding says whether a read is holding a packet back just now: a
// relay's idle timeout must not run out meanwhile (see forward.Hooks).
func (s *Conn) Holding() bool { return s.holding.Load() }

// Close closes the conn and ends a hold in progress.
func (s *Conn) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return s.Conn.Close()
}

// CloseWrite half-closes the conn when it can, and closes it when it
// cannot, the nearest it can come.
func (s *Conn) CloseWrite() error {
	if cw, ok := s.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return s.Close()
}
