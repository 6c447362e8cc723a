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
	late time.Duration // after the hold ends, before Read returns
	held atomic.Bool
}

func (c *slowConn) Read(p []byte) (int, error) {
	n, err := c.wrappedConn.Read(p)
	if n > 0 {
		c.held.Store(true)
		time.Sleep(c.hold)
		c.held.Store(false)
		time.Sleep(c.late)
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
// timeout closes the connection; also when Read returns a few ms after
// the hold ended (a busy machine), just as the client's read deadline,
// in step with the holds, passes. When it does not say so, the idle
// timeout closes the connection before the first held packet goes.
func TestIdleWhileHolding(t *testing.T) {
	const idle, hold = 200 * time.Millisecond, 600 * time.Millisecond
	for _, tc := range []struct {
		says bool
		late time.Duration
	}{{true, 0}, {true, 5 * time.Millisecond}, {false, 0}} {
		b := tcpBackend(t, func(c *net.TCPConn) {
			c.Write([]byte("a"))
			time.Sleep(hold / 2) // a read of its own: held again
			c.Write([]byte("b"))
			io.Copy(io.Discard, c)
		})
		wrap := func(_ forward.ConnInfo, c, tc2 net.Conn) (net.Conn, net.Conn) {
			s := &slowConn{wrappedConn: wrappedConn{tc2}, hold: hold, late: tc.late}
			if tc.says {
				return c, holdingConn{s}
			}
			return c, s
		}
		s := serveTCP(t, &forward.Forwarder{Target: b.addr, IdleTimeout: idle, Hooks: forward.Hooks{Wrap: wrap}})
		checkHeld(t, s.dial(t), tc.says, tc.late)
		checkRecord(t, s.logs.waitConn(t), forward.ReasonIdle, 0, -1)
	}
}

// checkHeld reads c to its end: "ab" when the wrapper said it was
// holding, nothing when it did not.
func checkHeld(t *testing.T, c net.Conn, says bool, late time.Duration) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	switch {
	case err != nil:
		t.Errorf("holding said %v (late %v): %v after %q, want EOF from the idle timeout", says, late, err, got)
	case says && string(got) != "ab":
		t.Errorf("holding said (late %v): the client got %q, want both held packets, \"ab\"", late, got)
	case !says && len(got) != 0:
		t.Errorf("holding not said: the client got %q, want the idle timeout before the first held packet", got)
	}
}
