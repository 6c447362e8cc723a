package forward_test

import (
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// slowConn holds every read back for hold before returning it, as the
// shaper does, without saying so.
type slowConn struct {
	wrappedConn
	hold time.Duration
	held atomic.Bool
}

func (c *slowConn) Read(p []byte) (int, error) {
	n, err := c.wrappedConn.Read(p)
	if n > 0 {
		c.held.Store(true)
		time.Sleep(c.hold)
		c.held.Store(false)
	}
	return n, err
}

// holdingConn is a slowConn that says when it holds bytes back.
type holdingConn struct{ *slowConn }

func (c holdingConn) Holding() bool { return c.held.Load() }

// TestIdleWhileHolding: the user-space copier under an idle timeout of
// 200 ms, with the target's reads each held back 600 ms by a wrapper. When
// the wrapper says it is holding (Holding), that is no idleness: both held
// packets reach the client, and once the target is silent the idle
// timeout closes the connection. When it does not say so, the idle
// timeout closes the connection before the first held packet goes.
func TestIdleWhileHolding(t *testing.T) {
	const idle, hold = 200 * time.Millisecond, 600 * time.Millisecond
	for _, says := range []bool{true, false} {
		b := tcpBackend(t, func(c *net.TCPConn) {
			c.Write([]byte("a"))
			time.Sleep(hold / 2) // a read of its own: held again
			c.Write([]byte("b"))
			io.Copy(io.Discard, c)
		})
		wrap := func(_ forward.ConnInfo, c, tc net.Conn) (net.Conn, net.Conn) {
			s := &slowConn{wrappedConn: wrappedConn{tc}, hold: hold}
			if says {
				return c, holdingConn{s}
			}
			return c, s
		}
		s := serveTCP(t, &forward.Forwarder{Target: b.addr, IdleTimeout: idle, Hooks: forward.Hooks{Wrap: wrap}})
		c := s.dial(t)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		got, err := io.ReadAll(c)
		switch {
		case err != nil:
			t.Errorf("holding said %v: %v after %q, want EOF from the idle timeout", says, err, got)
		case says && string(got) != "ab":
			t.Errorf("holding said: the client got %q, want both held packets, \"ab\"", got)
		case !says && len(got) != 0:
			t.Errorf("holding not said: the client got %q, want the idle timeout before the first held packet", got)
		}
		checkRecord(t, s.logs.waitConn(t), forward.ReasonIdle, 0, -1)
	}
}
