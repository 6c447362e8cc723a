package forward_test

import (
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestMaxConns: with MaxConns=2 a third client connects (the kernel's
// backlog takes it) but no target connection is made for it until one of
// the first two ends; then it is served, its early bytes included.
func TestMaxConns(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			maxConns(t, kind)
		})
	}
}

func maxConns(t *testing.T, kind listenerKind) {
	b, peak := peakEcho(t)
	s := kind.serve(t, &forward.Forwarder{Target: b.addr, MaxConns: 2})
	c1, c2 := s.dial(t), s.dial(t)
	roundTrip(t, c1, []byte("one"))
	roundTrip(t, c2, []byte("two"))
	c3 := s.dial(t)
	if _, err := c3.Write([]byte("three")); err != nil {
		t.Fatal(err)
	}
	expectOpen(t, c3, 300*time.Millisecond)
	if n := b.accepted.Load(); n != 2 {
		t.Fatalf("target has %d connections with MaxConns=2", n)
	}
	if st := s.f.Stats(); st.Open != 2 || st.Total != 2 {
		t.Errorf("stats %+v, want 2 open of 2", st)
	}
	c1.CloseWrite()
	expectClosed(t, c1, 2*time.Second)
	got := make([]byte, 5)
	if _, err := io.ReadFull(c3, got); err != nil || string(got) != "three" {
		t.Fatalf("third client, once a slot was free: read %q, %v", got, err)
	}
	roundTrip(t, c2, []byte("still two"))
	for _, c := range []*net.TCPConn{c2, c3} {
		c.CloseWrite()
		expectClosed(t, c, 2*time.Second)
	}
	checkTotals(t, s.logs.waitConns(t, 3, 5*time.Second), 3, 3+3+9+5, 3+3+9+5)
	burst(t, s, 20)
	if p := peak.Load(); p > 2 {
		t.Errorf("target saw %d connections at once with MaxConns=2", p)
	}
}

// peakEcho starts an echo target that counts the most connections it had
// open at once.
func peakEcho(t *testing.T) (*backend, *atomic.Int64) {
	var active, peak atomic.Int64
	b := tcpBackend(t, func(c *net.TCPConn) {
		n := active.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		io.Copy(c, c)
		active.Add(-1) // before the half-close that lets the forwarder end it
		c.CloseWrite()
	})
	return b, &peak
}

// burst runs n clients at once, each one round trip, and checks that every
// one was served.
func burst(t *testing.T, s *server, n int) {
	t.Helper()
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- func() error {
				c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
				if err != nil {
					return err
				}
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				msg := fmt.Sprintf("client %d", i)
				io.WriteString(c, msg)
				c.(*net.TCPConn).CloseWrite()
				got, err := io.ReadAll(c)
				if err != nil || string(got) != msg {
					return fmt.Errorf("client %d got %q, %v", i, got, err)
				}
				return nil
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestSlotsFreed: with MaxConns=1, every way a connection can end frees
// its slot: a client that reset before it was accepted, a dial error, a
// reset, an idle timeout. A leaked slot blocks the next client for good.
func TestSlotsFreed(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
			f := &forward.Forwarder{Target: b.addr, MaxConns: 1, IdleTimeout: 300 * time.Millisecond}
			s := kind.serve(t, f)
			c1 := s.dial(t)
			roundTrip(t, c1, []byte("holds the slot"))
			gone := s.dial(t) // waits in the backlog, then resets there
			gone.Write([]byte("never mind"))
			gone.SetLinger(0)
			gone.Close()
			c1.SetLinger(0)
			c1.Close() // a reset frees the slot
			reset := s.dial(t)
			roundTrip(t, reset, []byte("after a reset"))
			expectClosed(t, reset, 2*time.Second) // by the idle timeout
			final := s.dial(t)
			final.SetDeadline(time.Now().Add(3 * time.Second))
			roundTrip(t, final, []byte("still served"))
			final.CloseWrite()
			expectClosed(t, final, 2*time.Second)
			recs := s.logs.waitConns(t, 4, 2*time.Second)
			for i, want := range []string{forward.ReasonReset, forward.ReasonReset, forward.ReasonIdle, forward.ReasonEOF} {
				checkRecord(t, recs[i], want, -1, -1)
			}
			eventually(t, 2*time.Second, func() bool { return s.f.Stats().Open == 0 },
				func() string { return fmt.Sprintf("stats %+v, want none open", s.f.Stats()) })
		})
	}
}
