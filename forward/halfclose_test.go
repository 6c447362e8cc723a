package forward_test

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestHalfCloseClientFirst: the client sends a request and shuts down its
// write side; the target reads to EOF and only then sends a large reply,
// which the client must get whole (redir 3.3 lost it).
func TestHalfCloseClientFirst(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const req, reply = 10_000, 4 << 20
			b, gotReq := replyAfterEOF(t, reply)
			s := kind.serve(t, &forward.Forwarder{Target: b.addr})
			c := s.dial(t)
			sent, err := sendRandom(c, req, 1)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.CloseWrite(); err != nil {
				t.Fatal(err)
			}
			got, err := readDigest(c)
			if err != nil {
				t.Fatalf("reading the reply: %v", err)
			}
			target := <-gotReq
			if err := checkExchange(exchanged{sent, got, nil}, target, req, reply); err != nil {
				t.Fatal(err)
			}
			checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, req, reply)
		})
	}
}

// replyAfterEOF starts a target that reads its client to EOF and then
// sends size random bytes and closes; it reports what it saw.
func replyAfterEOF(t *testing.T, size int64) (*backend, <-chan exchanged) {
	out := make(chan exchanged, 1)
	b := tcpBackend(t, func(c *net.TCPConn) {
		var e exchanged
		if e.got, e.err = readDigest(c); e.err == nil {
			e.sent, e.err = sendRandom(c, size, 2)
		}
		out <- e
	})
	return b, out
}

// TestHalfCloseTargetFirst: the target sends a greeting and shuts down its
// write side; the client reads to EOF and only then sends a large body,
// which the target must get whole.
func TestHalfCloseTargetFirst(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const greeting, body = 1 << 20, 4 << 20
			gotBody := make(chan exchanged, 1)
			b := tcpBackend(t, func(c *net.TCPConn) {
				var e exchanged
				e.sent, e.err = sendRandom(c, greeting, 3)
				if e.err == nil {
					e.err = c.CloseWrite()
				}
				d, err := readDigest(c)
				e.got, e.err = d, errors.Join(e.err, err)
				gotBody <- e
			})
			s := kind.serve(t, &forward.Forwarder{Target: b.addr})
			c := s.dial(t)
			got, err := readDigest(c)
			if err != nil {
				t.Fatalf("reading the greeting: %v", err)
			}
			sent, err := sendRandom(c, body, 4)
			if err != nil {
				t.Fatalf("sending after the target's half-close: %v", err)
			}
			c.CloseWrite()
			target := <-gotBody
			if err := checkExchange(exchanged{sent, got, nil}, target, body, greeting); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, c, 5*time.Second)
			checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, body, greeting)
		})
	}
}

// TestHalfCloseWithoutCloseWrite: a wrapper that cannot half-close still
// gets the whole reply (the copier closes it once the target is done).
func TestHalfCloseWithoutCloseWrite(t *testing.T) {
	const reply = 2 << 20
	b, gotReq := replyAfterEOF(t, reply)
	ln := wrapListener{listen(t, "tcp", "127.0.0.1:0"), func(c net.Conn) net.Conn { return bareConn{c} }}
	s := serve(t, &forward.Forwarder{Target: b.addr}, ln)
	c := s.dial(t)
	sent, err := sendRandom(c, 1000, 5)
	if err != nil {
		t.Fatal(err)
	}
	c.CloseWrite()
	got, err := readDigest(c)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	if err := checkExchange(exchanged{sent, got, nil}, <-gotReq, 1000, reply); err != nil {
		t.Fatal(err)
	}
	checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, 1000, reply)
}

// TestReset: a peer that resets its connection gets the other side closed
// at once, and the record says "reset".
func TestReset(t *testing.T) {
	for _, kind := range listenerKinds {
		for _, side := range []string{"client", "target"} {
			t.Run(kind.name+"/"+side, func(t *testing.T) {
				t.Parallel()
				conns, release := make(chan *net.TCPConn, 1), make(chan struct{})
				b := tcpBackend(t, func(c *net.TCPConn) {
					echo1(c)
					conns <- c
					<-release
				})
				t.Cleanup(func() { close(release) }) // before the backend's cleanup
				s := kind.serve(t, &forward.Forwarder{Target: b.addr})
				c := s.dial(t)
				roundTrip(t, c, []byte("ping"))
				target := <-conns
				resetter, other := c, net.Conn(target)
				if side == "target" {
					resetter, other = target, c
				}
				resetter.SetLinger(0)
				resetter.Close()
				expectClosed(t, other, 2*time.Second)
				checkRecord(t, s.logs.waitConn(t), forward.ReasonReset, 4, 4)
			})
		}
	}
}

// echo1 echoes one read.
func echo1(c net.Conn) {
	buf := make([]byte, 1024)
	n, _ := c.Read(buf)
	c.Write(buf[:n])
}
