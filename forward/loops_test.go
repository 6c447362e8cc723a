package forward_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestManyLoops runs the splice relay with several loops (it makes one per
// two Ps, so a two-core machine gets only one otherwise): connections spread
// over loops must still be byte-exact, the connection limit must hold over
// all of them together, an EMFILE episode must be logged once (not once per
// loop), and nothing may be left when Serve returns. Not parallel:
// GOMAXPROCS and the open-file limit are the process's.
func TestManyLoops(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	t.Run("bytes", func(t *testing.T) {
		const clients, down = 60, 100 << 10
		handle, results := peerBackend(down)
		b := tcpBackend(t, handle)
		s := serveTCP(t, &forward.Forwarder{Target: b.addr})
		up := concurrentExchanges(t, s.addr, clients, down, results)
		checkTotals(t, s.logs.waitConns(t, clients, 5*time.Second), clients, up, clients*down)
	})
	t.Run("limit", func(t *testing.T) {
		b, peak := peakEcho(t)
		s := serveTCP(t, &forward.Forwarder{Target: b.addr, MaxConns: 3})
		burst(t, s, 40)
		if p := peak.Load(); p > 3 {
			t.Errorf("target saw %d connections at once with MaxConns=3", p)
		}
	})
	t.Run("emfile", func(t *testing.T) { acceptEMFILE(t, listenerKinds[0]) })
	t.Run("fds", func(t *testing.T) {
		b := fdBackend(t)
		before := countFDs(t)
		s := serveTCP(t, &forward.Forwarder{Target: b.addr})
		for i := 0; i < 100; i++ {
			shortConn(t, s.addr)
		}
		s.logs.waitConns(t, 100, 5*time.Second)
		if err := s.stop(t, 5*time.Second); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		eventually(t, 2*time.Second, func() bool { return countFDs(t) <= before },
			func() string { return fmt.Sprintf("%d fds after Serve returned, %d before", countFDs(t), before) })
	})
}
