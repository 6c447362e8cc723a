package forward

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Default values for the zero fields of a Forwarder.
const (
	DefaultDialTimeout  = 10 * time.Second
	DefaultDrainTimeout = 5 * time.Second
)

// A Forwarder relays every connection accepted on its listeners to Target.
// Only Target is required; every other field documents its zero value.
// A Forwarder must not be copied or changed once Serve has been called.
type Forwarder struct {
	// Target is "host:port"; the host is resolved on every dial and each of
	// its addresses is tried in turn.
	Target string
	// LocalAddr, when non-nil, is the source address of outbound
	// connections (redir -b). Nil lets the kernel choose.
	LocalAddr *net.TCPAddr
	// DialTimeout bounds the whole dial, every address included.
	// Zero means DefaultDialTimeout.
	DialTimeout time.Duration
	// IdleTimeout closes a connection that moved no byte in either
	// direction for that long. Zero or negative means never.
	IdleTimeout time.Duration
	// DrainTimeout is how long Serve waits, after its context is done, for
	// open connections to end by themselves before closing them.
	// Zero means DefaultDrainTimeout; negative means not at all.
	DrainTimeout time.Duration
	// MaxConns caps the connections open at once; beyond it new clients
	// wait in the listen backlog. Zero or negative means no limit but the
	// one the open-file limit sets (two descriptors a connection, less a
	// reserve), which also caps a larger MaxConns.
	MaxConns int
	// Log receives one record per connection and every accept error.
	// Nil means slog.Default().
	Log *slog.Logger
	// Hooks, all optional, let other packages dial or wrap connections.
	Hooks Hooks

	nextID  atomic.Uint64
	stats   Stats
	active  sync.WaitGroup // one per connection being handled
	conns   connSet        // open connections, for the close at drain timeout
	relay   *reactor       // the splice relay; nil when it could not be made
	records recordQueue    // connection records on their way to Log
	parents sync.Map       // conn id → *kids, for Relay to tie children to
	// literal is Target parsed once per Serve, when isLiteral: an address
	// the relay dials without a lookup.
	literal   netip.AddrPort
	isLiteral bool
}

// Serve accepts on every listener until ctx is done or a listener fails
// with a permanent error. It then closes the listeners, lets open
// connections finish for up to DrainTimeout, closes what is left and
// returns. The error is nil after a clean shutdown. Serve takes ownership of
// the listeners.
func (f *Forwarder) Serve(ctx context.Context, lns ...net.Listener) error {
	if len(lns) == 0 {
		return errors.New("forward: no listener to serve")
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	f.literal, f.isLiteral = literalTarget(f.Target)
	f.records.start()
	defer f.records.stop() // after the drain: every record is written when Serve returns
	f.startReactor()
	defer f.stopReactor()
	sem := newSemaphore(f.connLimit(len(lns)))
	errc := make(chan error, len(lns))
	var loops sync.WaitGroup
	for _, ln := range lns {
		loops.Add(1)
		go func(ln net.Listener) {
			defer loops.Done()
			err := f.acceptLoop(ctx, ln, sem)
			stop() // one listener failing ends the whole service
			errc <- err
		}(ln)
	}
	<-ctx.Done()
	for _, ln := range lns {
		ln.Close()
	}
	loops.Wait()
	f.drain()
	return firstError(errc, len(lns))
}

func (f *Forwarder) startReactor() {
	r, err := newReactor(f.IdleTimeout)
	if err != nil {
		f.logger().Warn("splice relay unavailable, copying in user space", "error", err)
		return
	}
	f.relay = r
}

func (f *Forwarder) stopReactor() {
	if f.relay != nil {
		f.relay.close()
		f.relay = nil
	}
}

// connLimit is MaxConns, held under what the open-file limit allows.
func (f *Forwarder) connLimit(listeners int) int {
	limit := f.MaxConns
	if files := filesConnLimit(listeners); files > 0 && (limit <= 0 || files < limit) {
		f.logger().Debug("connections limited by the open-file limit", "max_connections", files)
		limit = files
	}
	return limit
}

// Stats returns the connection counters, safe to call at any time.
func (f *Forwarder) Stats() StatsSnapshot { return f.stats.snapshot() }

func (f *Forwarder) logger() *slog.Logger {
	if f.Log != nil {
		return f.Log
	}
	return slog.Default()
}

func (f *Forwarder) dialTimeout() time.Duration {
	if f.DialTimeout > 0 {
		return f.DialTimeout
	}
	return DefaultDialTimeout
}

// drain waits for open connections up to DrainTimeout, then closes them.
func (f *Forwarder) drain() {
	timeout := f.DrainTimeout
	if timeout == 0 {
		timeout = DefaultDrainTimeout
	}
	done := make(chan struct{})
	go func() { f.active.Wait(); close(done) }()
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-done:
			return
		case <-t.C:
		}
	}
	f.conns.closeAll()
	<-done
}

func firstError(errc chan error, n int) error {
	var first error
	for i := 0; i < n; i++ {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}
