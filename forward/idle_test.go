package forward_test

import (
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

const idle = 300 * time.Millisecond

// TestIdleTimeout: a connection that moves no byte either way for
// IdleTimeout is closed, both ends of it, with reason "idle timeout".
func TestIdleTimeout(t *testing.T) {
	for _, kind := range listenerKinds {
		for _, halfClosed := range []bool{false, true} {
			name := kind.name + "/open"
			if halfClosed {
				name = kind.name + "/half-closed"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				probe, targetClosed := make(chan struct{}), make(chan struct{})
				b := tcpBackend(t, func(c *net.TCPConn) {
					io.Copy(io.Discard, c) // ends at the client's half-close or the close
					<-probe
					if writesFail(c) {
						close(targetClosed)
					}
				})
				s := kind.serve(t, &forward.Forwarder{Target: b.addr, IdleTimeout: idle})
				c := s.dial(t)
				if halfClosed {
					c.CloseWrite()
				}
				took := expectClosed(t, c, 3*time.Second)
				if took < idle-50*time.Millisecond || took > 5*idle {
					t.Errorf("idle conn closed after %v with IdleTimeout %v", took, idle)
				}
				close(probe)
				select {
				case <-targetClosed:
				case <-time.After(2 * time.Second):
					t.Error("target conn still open after the idle timeout")
				}
				checkRecord(t, s.logs.waitConn(t), forward.ReasonIdle, 0, 0)
			})
		}
	}
}

// writesFail writes to c every 20 ms until that fails (its peer closed
// it), for up to 2 s.
func writesFail(c net.Conn) bool {
	for i := 0; i < 100; i++ {
		if _, err := c.Write([]byte{0}); err != nil {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestIdleTimeoutOneWay: bytes flowing every 100 ms in one direction only,
// for over three idle timeouts, keep the connection open.
func TestIdleTimeoutOneWay(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name+"/client-sends", func(t *testing.T) { idleClientSends(t, kind) })
		t.Run(kind.name+"/target-sends", func(t *testing.T) { idleTargetSends(t, kind) })
	}
}

// idleClientSends: the client ticks, the target only reads, then answers
// after the client's half-close.
func idleClientSends(t *testing.T, kind listenerKind) {
	t.Parallel()
	b := tcpBackend(t, func(c *net.TCPConn) {
		if n, err := io.Copy(io.Discard, c); err == nil && n == 10 {
			io.WriteString(c, "done")
		}
	})
	s := kind.serve(t, &forward.Forwarder{Target: b.addr, IdleTimeout: idle})
	c := s.dial(t)
	ticks(t, c)
	c.CloseWrite()
	if got, err := io.ReadAll(c); string(got) != "done" || err != nil {
		t.Fatalf("after ticking: read %q, %v; want the target's \"done\"", got, err)
	}
	checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, 10, 4)
}

// idleTargetSends: the target ticks and half-closes, the client only
// reads, then answers "bye" and half-closes too.
func idleTargetSends(t *testing.T, kind listenerKind) {
	t.Parallel()
	bye := make(chan string, 1)
	b := tcpBackend(t, func(c *net.TCPConn) {
		ticks(t, c)
		c.CloseWrite()
		got, err := io.ReadAll(c)
		bye <- fmt.Sprintf("%q, %v", got, err)
	})
	s := kind.serve(t, &forward.Forwarder{Target: b.addr, IdleTimeout: idle})
	c := s.dial(t)
	got, err := io.ReadAll(c)
	if len(got) != 10 || err != nil {
		t.Fatalf("client: read %d bytes, %v; want 10 and EOF", len(got), err)
	}
	io.WriteString(c, "bye")
	c.CloseWrite()
	expectClosed(t, c, 2*time.Second)
	select {
	case got := <-bye:
		if got != `"bye", <nil>` {
			t.Errorf("target read %s, want the client's \"bye\" and EOF", got)
		}
	case <-time.After(3 * time.Second):
		t.Error("target never got the client's half-close")
	}
	checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, 3, 10)
}

// ticks writes one byte every 100 ms, ten times.
func ticks(t *testing.T, c net.Conn) {
	for i := 0; i < 10; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Errorf("tick %d: %v", i, err)
			return
		}
	}
}

// TestNoIdleTimeout: with IdleTimeout zero a silent connection stays open.
func TestNoIdleTimeout(t *testing.T) {
	t.Parallel()
	b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
	s := serveTCP(t, &forward.Forwarder{Target: b.addr})
	c := s.dial(t)
	expectOpen(t, c, 4*idle)
	roundTrip(t, c, []byte("still there"))
}

// TestIdleTimeoutMany: among many connections, the idle ones are closed
// and the busy ones are not.
func TestIdleTimeoutMany(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const n = 20
			b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
			s := kind.serve(t, &forward.Forwarder{Target: b.addr, IdleTimeout: idle})
			idleConns, busy := make([]net.Conn, n), make([]net.Conn, n)
			for i := range n {
				idleConns[i], busy[i] = s.dial(t), s.dial(t)
			}
			errs := make(chan error, n)
			for _, c := range busy {
				go func() { errs <- keepBusy(c) }()
			}
			for range n {
				if err := <-errs; err != nil {
					t.Error(err)
				}
			}
			for _, c := range idleConns {
				expectClosed(t, c, time.Second)
			}
			recs := s.logs.waitConns(t, n, 2*time.Second)
			for _, r := range recs {
				checkRecord(t, r, forward.ReasonIdle, 0, 0)
			}
			for _, c := range busy {
				roundTrip(t, c, []byte("still open"))
			}
		})
	}
}

// keepBusy makes a one-byte round trip every 100 ms for 1.2 s.
func keepBusy(c net.Conn) error {
	buf := make([]byte, 1)
	for i := 0; i < 12; i++ {
		time.Sleep(100 * time.Millisecond)
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			return err
		}
	}
	return nil
}
