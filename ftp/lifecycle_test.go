package ftp

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// passiveListener has the rig's server send a 227 for a data port and
// returns the redirector's listener it was rewritten to.
func (r *rig) passiveListener(t *testing.T) netip.AddrPort {
	t.Helper()
	srvData := listenOn(t, "127.0.0.1")
	sp := srvData.Addr().(*net.TCPAddr).AddrPort()
	got := through(t, r.server, r.wt, fmt.Sprintf("227 Entering Passive Mode (%s)\r\n", hostPort(sp)))
	port, err := parse227(strings.TrimPrefix(got, "227 "))
	if err != nil {
		t.Fatalf("reply %q: %v", got, err)
	}
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
}

// refused waits up to 10 s for ap to stop taking connections.
func refused(t *testing.T, ap netip.AddrPort) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		c, err := dialFromHost("127.0.0.1", ap)
		if err != nil {
			return
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatalf("%v still takes connections", ap)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestDataTimeout: a data listener nobody uses is closed after
// DataTimeout, with a record.
func TestDataTimeout(t *testing.T) {
	r := newRig(t, Pasv, 200*time.Millisecond)
	ap := r.passiveListener(t)
	r.waitLog(t, "no data connection came")
	refused(t, ap)
}

// TestDataSuperseded: a newer passive reply closes the older listener;
// only the latest is used by either side.
func TestDataSuperseded(t *testing.T) {
	r := newRig(t, Pasv, time.Minute)
	first := r.passiveListener(t)
	second := r.passiveListener(t)
	refused(t, first)
	r.waitLog(t, errSuperseded.Error())
	c, err := dialFromHost("127.0.0.1", second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r.waitRelay(t)
}

// TestCloseEndsData: closing the control connection closes its waiting
// listener and returns only when no Relay call can follow.
func TestCloseEndsData(t *testing.T) {
	r := newRig(t, Both, time.Minute)
	ap := r.passiveListener(t)
	done := make(chan struct{})
	go func() { r.wt.Close(); r.wc.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	refused(t, ap)
	if got := r.passiveReplyAfterClose(t); got != replyNoData+"\r\n" {
		t.Errorf("a passive reply after the end: %q, want %q", got, replyNoData)
	}
	select {
	case p := <-r.relayed:
		t.Errorf("Relay called after Close: %v", p)
	default:
	}
}

// passiveReplyAfterClose runs a 227 through the closed session's rewriter.
func (r *rig) passiveReplyAfterClose(t *testing.T) string {
	t.Helper()
	s := r.wc.(*clientConn).s
	out, err := s.reply([]byte("227 (127,0,0,1,0,21)\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestInjectBetweenReplies: a reply of the proxy's own waits for the
// server's line, and its multi-line reply, to end.
func TestInjectBetweenReplies(t *testing.T) {
	var buf testenv.Buffer
	w := &replyWriter{w: &buf}
	steps := []struct{ server, inject string }{
		{"230-Welcome\r\n", "500 a\r\n"},
		{" more\r\n230 ", "500 b\r\n"},
		{"Logged in\r\n", ""},
		{"220 par", "500 c\r\n"},
		{"tial\n", ""},
	}
	for _, st := range steps {
		if _, err := w.Write([]byte(st.server)); err != nil {
			t.Fatal(err)
		}
		if st.inject != "" {
			if err := w.inject([]byte(st.inject)); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := "230-Welcome\r\n more\r\n230 Logged in\r\n500 a\r\n500 b\r\n220 partial\n500 c\r\n"
	if buf.String() != want {
		t.Errorf("client got %q, want %q", buf.String(), want)
	}
	if err := w.inject([]byte("500 now\r\n")); err != nil || !strings.HasSuffix(buf.String(), "500 now\r\n") {
		t.Errorf("between replies an injected reply waits: %q, %v", buf.String(), err)
	}
	w.Write([]byte("2"))
	if err := w.inject([]byte(strings.Repeat("x", MaxLineLength+1))); err != errReplyBacklog {
		t.Errorf("an endless backlog: %v, want errReplyBacklog", err)
	}
}
