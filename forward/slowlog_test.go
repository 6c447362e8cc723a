package forward_test

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// stuckHandler holds every connection record until release is closed, like
// a journald or syslog that stopped reading.
type stuckHandler struct {
	release chan struct{}
	written atomic.Int64
}

func (h *stuckHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *stuckHandler) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *stuckHandler) WithGroup(string) slog.Handler            { return h }
func (h *stuckHandler) Handle(_ context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "Disconnect") {
		<-h.release
		h.written.Add(1)
	}
	return nil
}

// TestSlowLogDoesNotStallRelay: while the log sink is stuck on one
// connection's record, other connections are relayed; every record is
// written once the sink moves again, before Serve returns.
func TestSlowLogDoesNotStallRelay(t *testing.T) {
	b := tcpBackend(t, echo)
	h := &stuckHandler{release: make(chan struct{})}
	f := &forward.Forwarder{Target: b.addr, Log: slog.New(h)}
	ln := listen(t, "tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx, ln) }()
	const n = 5
	for i := range n {
		c := dialTCP(t, ln.Addr().String())
		c.SetDeadline(time.Now().Add(3 * time.Second))
		roundTrip(t, c, []byte{byte('a' + i)}) // fails if a stuck record holds the relay
		c.CloseWrite()
		expectClosed(t, c, 3*time.Second)
	}
	close(h.release)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
	if got := h.written.Load(); got != n {
		t.Fatalf("%d records written by the time Serve returned, want %d", got, n)
	}
}
