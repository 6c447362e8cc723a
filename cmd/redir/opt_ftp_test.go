package main

import (
	"net"
	"testing"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/ftp"
)

// TestParseFTP checks -f in its short, attached and long forms (redir
// 3.3's short form was broken; here all work).
func TestParseFTP(t *testing.T) {
	withMode := func(m ftp.Mode) config { return base(func(c *config) { c.FTP = m }) }
	checkGood(t, []goodCase{
		{[]string{"-f", "port", ":80", ":8080"}, withMode(ftp.Port)},
		{[]string{"-fpasv", ":80", ":8080"}, withMode(ftp.Pasv)},
		{[]string{"--ftp=both", ":80", ":8080"}, withMode(ftp.Both)},
		{[]string{"--ftp", "pasv", ":80", ":8080"}, withMode(ftp.Pasv)},
		{[]string{"-f", "both", "-p", ":80", ":8080"}, base(func(c *config) { c.FTP, c.Transproxy = ftp.Both, true })},
	})
	checkBad(t, []badCase{
		{[]string{"-f", "PORT", ":80", ":90"}, `invalid -f/--ftp type "PORT": want port, pasv or both`},
		{[]string{"--ftp=", ":80", ":90"}, `invalid -f/--ftp type ""`},
		{[]string{"-f", "active", ":80", ":90"}, `"active"`},
		{[]string{"-f", "both", "-x", "h:21", ":80", ":90"}, "-f/--ftp cannot be given with -x/--connect"},
	})
}

// TestFTPWrap checks that without -f there is no wrapper, so FTP bytes
// keep the splice path, and that with it control connections are wrapped
// and data connections (Parent set) are not.
func TestFTPWrap(t *testing.T) {
	f := &forward.Forwarder{}
	if w := ftpWrap(config{}, f, nil); w != nil {
		t.Fatal("ftpWrap without -f is a wrapper, want nil")
	}
	for _, mode := range []ftp.Mode{ftp.Port, ftp.Pasv, ftp.Both} {
		w := ftpWrap(config{FTP: mode}, f, nil)
		if w == nil {
			t.Fatalf("-f mode %d: no wrapper", mode)
		}
		c, tg := tcpPair(t), tcpPair(t)
		wc, wt := w(forward.ConnInfo{ID: 1}, c, tg)
		_, plainC := wc.(*net.TCPConn)
		_, plainT := wt.(*net.TCPConn)
		if plainC || plainT != (mode == ftp.Port) {
			t.Errorf("-f mode %d control: client conn plain %v, target plain %v", mode, plainC, plainT)
		}
		wc.Close()
		wt.Close()
		c, tg = tcpPair(t), tcpPair(t)
		if dc, dt := w(forward.ConnInfo{ID: 2, Parent: 1}, c, tg); dc != c || dt != tg {
			t.Errorf("-f mode %d: a data connection was wrapped", mode)
		}
	}
}

// tcpPair returns one end of a loopback TCP connection; Cleanup closes both.
func tcpPair(t *testing.T) net.Conn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c
}
