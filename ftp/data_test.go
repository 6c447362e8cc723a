package ftp

import (
	"bufio"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/internal/testenv"
)

// rig is one control connection through a Proxy on loopback: the FTP
// client's and server's ends, and the wrapped conns the forwarder holds.
type rig struct {
	client, server net.Conn
	wc, wt         net.Conn
	relayed        chan [2]net.Conn // what Relay was given
	logs           *testenv.Buffer
}

func newRig(t *testing.T, mode Mode, dataTimeout time.Duration) *rig {
	t.Helper()
	r := &rig{relayed: make(chan [2]net.Conn, 4), logs: new(testenv.Buffer)}
	p := New(Config{
		Mode: mode, DataTimeout: dataTimeout,
		Log: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Relay: func(parent uint64, c, s net.Conn) {
			if parent != 7 {
				t.Errorf("Relay parent %d, want 7", parent)
			}
			r.relayed <- [2]net.Conn{c, s}
		},
	})
	var c, tg net.Conn
	r.client, c = loopPair(t, "127.0.0.1")
	tg, r.server = loopPair(t, "127.0.0.1")
	r.wc, r.wt = p.Wrap(forward.ConnInfo{ID: 7}, c, tg)
	t.Cleanup(func() { r.wc.Close(); r.wt.Close() })
	return r
}

// loopPair returns both ends of a TCP connection from 127.0.0.1 to a
// listener on host; Cleanup closes them.
func loopPair(t *testing.T, host string) (dialed, accepted net.Conn) {
	t.Helper()
	ln := listenOn(t, host)
	defer ln.Close()
	dialed, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	accepted, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dialed.Close(); accepted.Close() })
	return dialed, accepted
}

func listenOn(t *testing.T, host string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// through writes line to w and returns the line the other side of the
// proxy reads from r.
func through(t *testing.T, w net.Conn, r net.Conn, line string) string {
	t.Helper()
	if _, err := w.Write([]byte(line)); err != nil {
		t.Fatal(err)
	}
	r.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("after %q: %v", line, err)
	}
	return got
}

func hostPort(ap netip.AddrPort) string {
	return formatHostPort(ap)
}

// dialFromHost connects to ap from the loopback address host.
func dialFromHost(host string, ap netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(host)}, Timeout: 5 * time.Second}
	return d.Dial("tcp", ap.String())
}

// waitLog waits up to 10 s for the rig's log to contain s.
func (r *rig) waitLog(t *testing.T, s string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(r.logs.String(), s); {
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log:\n%s", s, r.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *rig) waitRelay(t *testing.T) [2]net.Conn {
	t.Helper()
	select {
	case p := <-r.relayed:
		t.Cleanup(func() { p[0].Close(); p[1].Close() })
		return p
	case <-time.After(10 * time.Second):
		t.Fatalf("no Relay call; log:\n%s", r.logs)
	}
	return [2]net.Conn{}
}

// TestPassiveData: a 227 names the redirector, which takes the client's
// connection only, dials the server's data port and relays the pair.
func TestPassiveData(t *testing.T) {
	r := newRig(t, Pasv, time.Minute)
	srvData := listenOn(t, "127.0.0.1")
	sp := srvData.Addr().(*net.TCPAddr).AddrPort()
	got := through(t, r.server, r.wt, fmt.Sprintf("227 Entering Passive Mode (%s)\r\n", hostPort(sp)))
	port, err := parse227(strings.TrimPrefix(got, "227 "))
	if err != nil || !strings.HasPrefix(got, "227 Entering Passive Mode (127,0,0,1,") {
		t.Fatalf("reply %q (%v)", got, err)
	}
	ours := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
	stranger, err := dialFromHost("127.0.0.2", ours)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	r.waitLog(t, "data connection from another address refused")
	dc, err := dialFromHost("127.0.0.1", ours)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	pair := r.waitRelay(t)
	if pair[0].RemoteAddr().String() != dc.LocalAddr().String() || pair[1].RemoteAddr().String() != sp.String() {
		t.Errorf("relayed %v and %v; want the client's %v and the server's %v",
			pair[0].RemoteAddr(), pair[1].RemoteAddr(), dc.LocalAddr(), sp)
	}
	if _, err := dialFromHost("127.0.0.1", ours); err == nil {
		t.Error("the data listener still takes connections after its one")
	}
}

// TestActiveData: a PORT names the redirector to the server, which takes
// the server's connection and dials the client's data port.
func TestActiveData(t *testing.T) {
	r := newRig(t, Both, time.Minute)
	cliData := listenOn(t, "127.0.0.1")
	cp := cliData.Addr().(*net.TCPAddr).AddrPort()
	got := through(t, r.client, r.wc, "PORT "+hostPort(cp)+"\r\n")
	ours, err := parseHostPort(strings.TrimSuffix(strings.TrimPrefix(got, "PORT "), "\r\n"))
	if err != nil || ours.Addr().String() != "127.0.0.1" {
		t.Fatalf("command %q (%v)", got, err)
	}
	sc, err := dialFromHost("127.0.0.1", ours)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	pair := r.waitRelay(t)
	if pair[0].RemoteAddr().String() != cp.String() || pair[1].RemoteAddr().String() != sc.LocalAddr().String() {
		t.Errorf("relayed %v and %v; want the client's %v and the server's %v",
			pair[0].RemoteAddr(), pair[1].RemoteAddr(), cp, sc.LocalAddr())
	}
}

// TestBounceOnTheWire: the refused PORT gets a 500 on the client's own
// conn, and the command after it goes on to the server.
func TestBounceOnTheWire(t *testing.T) {
	r := newRig(t, Port, time.Minute)
	if _, err := r.client.Write([]byte("PORT 127,0,0,2,0,21\r\nNOOP\r\n")); err != nil {
		t.Fatal(err)
	}
	r.wc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := bufio.NewReader(r.wc).ReadString('\n'); err != nil || got != "NOOP\r\n" {
		t.Errorf("server got %q, %v; want NOOP only", got, err)
	}
	r.client.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := bufio.NewReader(r.client).ReadString('\n'); err != nil || !strings.HasPrefix(got, "500 ") {
		t.Errorf("client got %q, %v; want a 500 reply", got, err)
	}
	r.waitLog(t, "bounce refused")
}
