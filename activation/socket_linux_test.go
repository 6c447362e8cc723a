package activation

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSocketsListening: two listening sockets, IPv4 and IPv6, become
// TCP listeners that accept, and the inherited descriptors are closed.
func TestSocketsListening(t *testing.T) {
	ln4 := listenTCP(t, "127.0.0.1:0")
	ln6 := listenTCP(t, "[::1]:0")
	first := freeFDs(t, 2)
	placeAt(t, ln4, first)
	placeAt(t, ln6, first+1)
	socks, err := sockets(first, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []*net.TCPListener{ln4, ln6} {
		s := socks[i]
		t.Cleanup(func() { s.Listener.Close() })
		if s.FD != first+i || s.Name != []string{"a", "b"}[i] || s.Connected {
			t.Errorf("socket %d: %+v", i, s)
		}
		if _, ok := s.Listener.(*net.TCPListener); !ok {
			t.Errorf("socket %d: listener is a %T, want *net.TCPListener", i, s.Listener)
		}
		if s.Listener.Addr().String() != want.Addr().String() {
			t.Errorf("socket %d: address %s, want %s", i, s.Listener.Addr(), want.Addr())
		}
		if isOpen(first + i) {
			t.Errorf("fd %d still open", first+i)
		}
	}
	// Both the original and the inherited listener accept on the same
	// socket; close the original so that the inherited one must.
	ln4.Close()
	c, err := net.Dial("tcp", socks[0].Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := socks[0].Listener.Accept()
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
}

// TestSocketsConnected: an accepted connection (Accept=yes) becomes a
// ConnListener that yields it, and bytes flow both ways.
func TestSocketsConnected(t *testing.T) {
	client, server := connPair(t)
	first := freeFDs(t, 1)
	placeAt(t, server, first)
	server.Close()
	socks, err := sockets(first, []string{"conn"})
	if err != nil {
		t.Fatal(err)
	}
	s := socks[0]
	t.Cleanup(func() { s.Listener.Close() })
	cl, ok := s.Listener.(*ConnListener)
	if !ok || !s.Connected {
		t.Fatalf("got %+v with a %T, want a connected socket with a *ConnListener", s, s.Listener)
	}
	if cl.RemoteAddr().String() != client.LocalAddr().String() || cl.Addr().String() != client.RemoteAddr().String() {
		t.Errorf("addresses %s -> %s, want %s -> %s", cl.RemoteAddr(), cl.Addr(), client.LocalAddr(), client.RemoteAddr())
	}
	c, err := s.Listener.Accept()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.(*net.TCPConn); !ok {
		t.Errorf("Accept gave a %T, want *net.TCPConn (the relay splices only those)", c)
	}
	exchange(t, client, c)
}

// exchange sends a line each way between a and b, then closes b and
// expects a to see EOF: b held the only reference to its socket.
func exchange(t *testing.T, a, b net.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	a.SetDeadline(deadline)
	b.SetDeadline(deadline)
	for _, d := range []struct{ from, to net.Conn }{{a, b}, {b, a}} {
		if _, err := io.WriteString(d.from, "ping\n"); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 5)
		if _, err := io.ReadFull(d.to, buf); err != nil || string(buf) != "ping\n" {
			t.Fatalf("read %q, %v", buf, err)
		}
	}
	b.Close()
	if n, err := a.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("after close: read %d bytes, %v; want EOF", n, err)
	}
}

// TestSocketsNotTCP: whatever is not a TCP socket is an error that names
// the descriptor, its name and what it is; what was made is closed.
func TestSocketsNotTCP(t *testing.T) {
	r, _ := pipe(t)
	file, err := os.Open("/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { file.Close() })
	tests := []struct {
		name string
		what syscall.Conn
		want string
	}{
		{"unix", unixListener(t), "not a TCP socket: a unix stream socket"},
		{"udp", udpConn(t), "not a TCP socket: an IPv4 datagram socket"},
		{"pipe", r, "not a TCP socket: a pipe"},
		{"file", file, "not a TCP socket: a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := listenTCP(t, "127.0.0.1:0")
			first := freeFDs(t, 3)
			placeAt(t, good, first)
			good.Close()
			placeAt(t, tt.what, first+1)
			_, err := sockets(first, []string{"good", "bad", "unreached"})
			if !errors.Is(err, ErrNotTCP) {
				t.Fatalf("error %v, want ErrNotTCP", err)
			}
			want := `activation: fd ` + strconv.Itoa(first+1) + ` "bad": ` + tt.want
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start %q", err, want)
			}
			if c, err := net.Dial("tcp", good.Addr().String()); err == nil {
				c.Close()
				t.Errorf("the listener made before the error still accepts")
			}
		})
	}
}

func TestSocketsNotOpen(t *testing.T) {
	first := freeFDs(t, 1)
	_, err := sockets(first, []string{""})
	if err == nil || err.Error() != "activation: fd "+strconv.Itoa(first)+": not an open descriptor" {
		t.Fatalf("error %v", err)
	}
}

// TestSocketsUnconnectedTCP: a TCP socket neither listening nor connected
// has no client to relay.
func TestSocketsUnconnectedTCP(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	first := freeFDs(t, 1)
	syscall.Dup3(fd, first, 0)
	syscall.Close(fd)
	_, err = sockets(first, []string{"x"})
	if err == nil || !strings.Contains(err.Error(), "neither listening nor connected") {
		t.Fatalf("error %v", err)
	}
}

func TestIsTCPSocket(t *testing.T) {
	client, _ := connPair(t)
	r, _ := pipe(t)
	f, err := client.File()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, err := unixListener(t).File()
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	for _, tt := range []struct {
		f    *os.File
		want bool
	}{{f, true}, {r, false}, {u, false}} {
		if got := IsTCPSocket(tt.f); got != tt.want {
			t.Errorf("IsTCPSocket(%s) = %v, want %v", tt.f.Name(), got, tt.want)
		}
	}
}
