package ftp

import (
	"context"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/internal/testenv"
	"golang.org/x/sys/unix"
)

// noLocal is a conn whose local address cannot be read, which forward
// allows (ConnInfo.Local may be nil).
type noLocal struct{ net.Conn }

func (noLocal) LocalAddr() net.Addr { return nil }

// TestWrapRefusesUnknownAddress: a control connection Wrap cannot rewrite
// is closed, both sides, with an error record, and not relayed
// unrewritten (a PORT naming another host would reach the server).
func TestWrapRefusesUnknownAddress(t *testing.T) {
	client, clientPeer := loopPair(t, "127.0.0.1")
	target, targetPeer := loopPair(t, "127.0.0.1")
	logs := new(testenv.Buffer)
	p := New(Config{Mode: Both, Relay: func(uint64, net.Conn, net.Conn) {}, Log: slog.New(slog.NewTextHandler(logs, nil))})
	p.Wrap(forward.ConnInfo{ID: 7}, noLocal{client}, target)
	for name, peer := range map[string]net.Conn{"client": clientPeer, "server": targetPeer} {
		peer.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := peer.Read(make([]byte, 1)); err == nil || strings.Contains(err.Error(), "timeout") {
			t.Errorf("the %s's end: read %d bytes, %v; want it closed", name, n, err)
		}
	}
	if s := logs.String(); !strings.Contains(s, "level=ERROR") || !strings.Contains(s, "conn=7") {
		t.Errorf("records %q, want an error record for conn 7", s)
	}
}

// TestDataSocketsNoKeepAlive: the default data dial and data listener
// turn TCP keep-alive off, as redir's other sockets do (Go turns it on).
func TestDataSocketsNoKeepAlive(t *testing.T) {
	p := New(Config{Mode: Both, Relay: func(uint64, net.Conn, net.Conn) {}})
	ln, err := p.cfg.ListenConfig.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	dialed, err := p.cfg.Dial(ctx, netip.MustParseAddr("127.0.0.1"), ap)
	if err != nil {
		t.Fatal(err)
	}
	defer dialed.Close()
	accepted, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer accepted.Close()
	for name, c := range map[string]net.Conn{"dialled": dialed, "accepted": accepted} {
		raw, _ := c.(*net.TCPConn).SyscallConn()
		var on int
		raw.Control(func(fd uintptr) { on, err = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE) })
		if err != nil || on != 0 {
			t.Errorf("%s data socket: SO_KEEPALIVE %d, %v; want 0", name, on, err)
		}
	}
}
