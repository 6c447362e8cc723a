package forward_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestDialHook: the Dial hook makes the outbound connection, is told who
// the client is, and a plain TCP conn it returns still relays.
func TestDialHook(t *testing.T) {
	b := tcpBackend(t, echo)
	var got forward.ConnInfo
	var mu sync.Mutex
	f := &forward.Forwarder{Target: "192.0.2.1:9", Hooks: forward.Hooks{
		Dial: func(ctx context.Context, info forward.ConnInfo) (net.Conn, error) {
			mu.Lock()
			got = info
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, "tcp", b.addr)
		},
	}}
	s := serveTCP(t, f)
	c := s.dial(t)
	roundTrip(t, c, []byte("through the hook"))
	c.CloseWrite()
	if _, err := io.ReadAll(c); err != nil {
		t.Fatal(err)
	}
	r := s.logs.waitConn(t)
	checkRecord(t, r, forward.ReasonEOF, 16, 16)
	if r.Attrs["target"].String() != b.addr {
		t.Errorf("record target %v, want the hook's %s", r.Attrs["target"], b.addr)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.ID == 0 || got.Client.String() != c.LocalAddr().String() || got.Local.String() != s.addr {
		t.Errorf("hook told %+v; want conn id, client %s, local %s", got, c.LocalAddr(), s.addr)
	}
}

// upper turns what is read through it into upper case.
type upper struct{ *net.TCPConn }

func (u upper) Read(p []byte) (int, error) {
	n, err := u.TCPConn.Read(p)
	copy(p[:n], bytes.ToUpper(p[:n]))
	return n, err
}

// TestWrapHook: wrapped conns are copied in user space through the
// wrapper, half-close included.
func TestWrapHook(t *testing.T) {
	b := tcpBackend(t, echo)
	f := &forward.Forwarder{Target: b.addr, Hooks: forward.Hooks{
		Wrap: func(_ forward.ConnInfo, c, t net.Conn) (net.Conn, net.Conn) {
			return c, upper{t.(*net.TCPConn)}
		},
	}}
	s := serveTCP(t, f)
	c := s.dial(t)
	c.SetDeadline(time.Now().Add(ioDeadline))
	c.Write([]byte("hello"))
	c.CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "HELLO" {
		t.Fatalf("read %q, %v; want HELLO through the wrapper", got, err)
	}
	checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, 5, 5)
}

// relayChildOf opens a child connection of the connection info describes,
// as an FTP data connection is: a listener whose one connection f relays
// to side with Relay, tied to info.ID; the test's end goes on child.
func relayChildOf(t *testing.T, f *forward.Forwarder, info forward.ConnInfo, side string, child chan<- *net.TCPConn) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	go func() {
		in, _ := ln.Accept()
		ln.Close()
		f.Relay(info.ID, in, dialTCP(t, side))
	}()
	child <- dialTCP(t, ln.Addr().String())
}

// TestRelayChild: a pair handed to Relay from within a connection is
// relayed and recorded with its parent's id.
func TestRelayChild(t *testing.T) {
	b := tcpBackend(t, echo)
	side := tcpBackend(t, echo)
	var f *forward.Forwarder
	child := make(chan *net.TCPConn, 1)
	f = &forward.Forwarder{Target: b.addr, Hooks: forward.Hooks{
		Wrap: func(info forward.ConnInfo, c, tc net.Conn) (net.Conn, net.Conn) {
			if info.Parent == 0 {
				relayChildOf(t, f, info, side.addr, child)
			}
			return c, tc
		},
	}}
	s := serveTCP(t, f)
	c := s.dial(t)
	roundTrip(t, c, []byte("control"))
	d := <-child
	roundTrip(t, d, []byte("data!"))
	d.CloseWrite()
	io.ReadAll(d)
	c.CloseWrite()
	io.ReadAll(c)
	recs := s.logs.waitConns(t, 2, 10*time.Second)
	var parent, kid uint64
	for _, r := range recs {
		if p, ok := r.Attrs["parent"]; ok {
			kid = p.Uint64()
			checkRecord(t, r, forward.ReasonEOF, 5, 5)
		} else {
			parent = r.Attrs["conn"].Uint64()
		}
	}
	if kid == 0 || kid != parent {
		t.Errorf("child record's parent %d, want the control conn %d; records %v", kid, parent, recs)
	}
}

// TestRelayChildKeepsParent: a connection Relay tied to a parent keeps the
// parent from idling out while it is open (an FTP control connection is
// silent during a transfer); once it ends, the parent's timeout runs again.
func TestRelayChildKeepsParent(t *testing.T) {
	const idle = 300 * time.Millisecond
	b := tcpBackend(t, echo)
	side := tcpBackend(t, echo)
	var f *forward.Forwarder
	child := make(chan *net.TCPConn, 1)
	f = &forward.Forwarder{Target: b.addr, IdleTimeout: idle, Hooks: forward.Hooks{
		Wrap: func(info forward.ConnInfo, c, tc net.Conn) (net.Conn, net.Conn) {
			if info.Parent != 0 {
				return c, tc
			}
			relayChildOf(t, f, info, side.addr, child)
			return c, upper{tc.(*net.TCPConn)}
		},
	}}
	s := serveTCP(t, f)
	c := s.dial(t)
	roundTrip(t, c, []byte("X"))
	d := <-child
	for range 8 { // 8 × 150 ms: well past the parent's idle timeout
		roundTrip(t, d, []byte("data"))
		time.Sleep(150 * time.Millisecond)
	}
	expectOpen(t, c, 10*time.Millisecond)
	d.Close()
	expectClosed(t, c, 5*time.Second)
	for _, r := range s.logs.waitConns(t, 2, 10*time.Second) {
		if _, kid := r.Attrs["parent"]; !kid && r.Attrs["reason"].String() != forward.ReasonIdle {
			t.Errorf("parent record %v, want it ended by the idle timeout after the child", r)
		}
	}
}

// explosive panics on its first Read, as a wrapper with a bug might.
type explosive struct{ *net.TCPConn }

func (explosive) Read([]byte) (int, error) { panic("index out of range [3:0]") }

// TestWrapperPanicEndsOneConnection: a wrapper that panics ends its own
// connection, with the panic in the record; the Forwarder keeps serving.
func TestWrapperPanicEndsOneConnection(t *testing.T) {
	b := tcpBackend(t, echo)
	var n atomic.Int32
	f := &forward.Forwarder{Target: b.addr, Hooks: forward.Hooks{
		Wrap: func(_ forward.ConnInfo, c, tc net.Conn) (net.Conn, net.Conn) {
			if n.Add(1) == 1 {
				return c, explosive{tc.(*net.TCPConn)}
			}
			return c, tc
		},
	}}
	s := serveTCP(t, f)
	c := s.dial(t)
	c.Write([]byte("boom"))
	expectClosed(t, c, 5*time.Second)
	r := s.logs.waitConn(t)
	if e := r.Attrs["error"].String(); !strings.Contains(e, "panic in a connection wrapper: index out of range") {
		t.Errorf("record error %q, want the panic", e)
	}
	roundTrip(t, s.dial(t), []byte("still serving"))
}

// TestHookPanicEndsOneConnection: a Dial or Wrap hook that panics fails
// that connection, with a record saying so; the Forwarder keeps serving.
func TestHookPanicEndsOneConnection(t *testing.T) {
	b := tcpBackend(t, echo)
	var n atomic.Int32
	f := &forward.Forwarder{Target: b.addr, Hooks: forward.Hooks{
		Dial: func(ctx context.Context, _ forward.ConnInfo) (net.Conn, error) {
			if n.Add(1) == 1 {
				panic("dial hook bug")
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", b.addr)
		},
		Wrap: func(_ forward.ConnInfo, c, tc net.Conn) (net.Conn, net.Conn) {
			if n.Load() == 2 {
				panic("wrap hook bug")
			}
			return c, tc
		},
	}}
	s := serveTCP(t, f)
	for i, want := range []string{"panic in the dial hook: dial hook bug", "panic in the wrap hook: wrap hook bug"} {
		c := s.dial(t)
		expectClosed(t, c, 5*time.Second)
		recs := s.logs.waitConns(t, i+1, 5*time.Second)
		if e := recs[i].Attrs["error"].String(); !strings.Contains(e, want) {
			t.Errorf("record error %q, want %q", e, want)
		}
	}
	roundTrip(t, s.dial(t), []byte("still serving"))
}
