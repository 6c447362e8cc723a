package outbound

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// listen starts a TCP listener on addr that hands each accepted conn to
// serve; Cleanup closes it.
func listen(t *testing.T, addr string, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 10; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().String()
}

// peers returns a serve func that sends each accepted conn's remote
// address on a channel, and the channel.
func peers() (func(net.Conn), chan string) {
	ch := make(chan string, 10)
	return func(c net.Conn) { ch <- c.RemoteAddr().String(); c.Close() }, ch
}

func dialCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestDialLocalAddr checks that LocalAddr (-b) is the source address.
func TestDialLocalAddr(t *testing.T) {
	serve, seen := peers()
	target := listen(t, "127.0.0.1:0", serve)
	d := &Dialer{Target: target, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
	c, err := d.Dial(dialCtx(t), tcpAddr("127.0.0.1:1"), tcpAddr("127.0.0.1:2"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := c.(*net.TCPConn); !ok {
		t.Errorf("Dial returned %T, want *net.TCPConn for splice", c)
	}
	if got := <-seen; !strings.HasPrefix(got, "127.0.0.2:") {
		t.Errorf("target saw %s, want 127.0.0.2", got)
	}
}

// TestDialEachAddress checks that every address of the target's name is
// tried: localhost is ::1 and 127.0.0.1, and only the latter listens.
func TestDialEachAddress(t *testing.T) {
	serve, seen := peers()
	target := listen(t, "127.0.0.1:0", serve)
	_, port, _ := net.SplitHostPort(target)
	d := &Dialer{Target: net.JoinHostPort("localhost", port)}
	c, err := d.Dial(dialCtx(t), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	<-seen
}

// TestDialTransparent checks that the source is the client's address,
// unmapped, with a port of the kernel's choosing. On loopback the replies
// need no policy routing; the three-namespace test in cmd/redir has it.
func TestDialTransparent(t *testing.T) {
	serve, seen := peers()
	target := listen(t, "127.0.0.1:0", serve)
	d := &Dialer{Target: target, Transparent: true}
	c, err := d.Dial(dialCtx(t), tcpAddr("[::ffff:127.0.0.9]:1"), tcpAddr("127.0.0.1:2"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	got := <-seen
	if !strings.HasPrefix(got, "127.0.0.9:") || got == "127.0.0.9:1" {
		t.Errorf("target saw %s, want 127.0.0.9 with a port the kernel chose", got)
	}
}

// TestDialTransparentFamily checks that an IPv4 client cannot be the
// source of a connection to an IPv6-only target: an error, not a dial
// from some local address.
func TestDialTransparentFamily(t *testing.T) {
	serve, _ := peers()
	target := listen(t, "[::1]:0", serve)
	d := &Dialer{Target: target, Transparent: true}
	if c, err := d.Dial(dialCtx(t), tcpAddr("127.0.0.9:1"), nil); err == nil {
		c.Close()
		t.Fatal("Dial from an IPv4 client to an IPv6 target succeeded")
	}
}

// TestHandshakeEarlyBytes checks that bytes the proxy sends right after
// its header come first out of the tunnel, which still half-closes.
func TestHandshakeEarlyBytes(t *testing.T) {
	got := make(chan string, 1)
	proxy := listen(t, "127.0.0.1:0", func(c net.Conn) {
		defer c.Close()
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		c.Write([]byte("HTTP/1.1 200 OK\r\n\r\nGREETING\r\n"))
		rest, _ := io.ReadAll(c) // up to the half-close
		got <- string(buf[:n]) + string(rest)
	})
	d := &Dialer{Target: proxy, Connect: "[2001:db8::1]:25"}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	c, err := d.Dial(ctx, nil, nil)
	cancel() // as forward does: the tunnel must outlive the dial's context
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("EHLO"))
	c.(interface{ CloseWrite() error }).CloseWrite()
	buf := make([]byte, 100)
	n, err := io.ReadAtLeast(c, buf, len("GREETING\r\n"))
	if err != nil || string(buf[:n]) != "GREETING\r\n" {
		t.Errorf("first bytes out of the tunnel: %q, %v", buf[:n], err)
	}
	want := "CONNECT [2001:db8::1]:25 HTTP/1.1\r\nHost: [2001:db8::1]:25\r\n\r\nEHLO"
	if s := <-got; s != want {
		t.Errorf("proxy got %q, want %q", s, want)
	}
}

// TestHandshakeTimeout checks that a proxy that never answers fails the
// dial when ctx ends.
func TestHandshakeTimeout(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	proxy := listen(t, "127.0.0.1:0", func(c net.Conn) { go func() { <-hold; c.Close() }() })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	d := &Dialer{Target: proxy, Connect: "h:1"}
	start := time.Now()
	_, err := d.Dial(ctx, nil, nil)
	if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Dial to a silent proxy: %v, want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Dial took %v", d)
	}
}

// TestHandshakeRefused checks that a non-2xx answer fails the dial with
// the status line in the error.
func TestHandshakeRefused(t *testing.T) {
	proxy := listen(t, "127.0.0.1:0", func(c net.Conn) {
		c.Read(make([]byte, 4096))
		c.Write([]byte("HTTP/1.1 403 Access violation\r\nServer: x\r\n\r\n<html>"))
		c.Close()
	})
	d := &Dialer{Target: proxy, Connect: "h:1"}
	_, err := d.Dial(dialCtx(t), nil, nil)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), `"HTTP/1.1 403 Access violation"`) {
		t.Errorf("Dial through a refusing proxy: %v", err)
	}
}

// TestDialKeepsTCPConn checks that a PROXY header, and a CONNECT answer
// with nothing after it, leave the plain *net.TCPConn, so forward still
// splices; and that the header is the first thing the target reads.
func TestDialKeepsTCPConn(t *testing.T) {
	first := make(chan string, 1)
	target := listen(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 4096)
		n, _ := c.Read(buf)
		if s := string(buf[:n]); strings.HasPrefix(s, "CONNECT ") {
			c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n"))
			n, _ = c.Read(buf)
		}
		first <- string(buf[:n])
		c.Close()
	})
	for _, d := range []*Dialer{
		{Target: target, ProxyProtocol: 1},
		{Target: target, Connect: "h:1", ProxyProtocol: 1},
	} {
		c, err := d.Dial(dialCtx(t), tcpAddr("192.0.2.1:1000"), tcpAddr("192.0.2.2:80"))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := c.(*net.TCPConn); !ok {
			t.Errorf("Dial with %+v returned %T, want *net.TCPConn", d, c)
		}
		if got := <-first; got != "PROXY TCP4 192.0.2.1 192.0.2.2 1000 80\r\n" {
			t.Errorf("with %+v the target read %q first", d, got)
		}
		c.Close()
	}
}

// TestHandshakeErrorText: each failed CONNECT reads once, as it goes into
// a record: CONNECT and its target named once, no package prefix.
func TestHandshakeErrorText(t *testing.T) {
	for _, tt := range []struct {
		answer string
		want   error
		text   string
	}{
		{"HTTP/1.1 403 Access violation\r\n\r\n", ErrRefused, `the proxy refused CONNECT to h:1: "HTTP/1.1 403 Access violation"`},
		{"SSH-2.0-OpenSSH\r\n\r\n", ErrMalformed, `CONNECT h:1: malformed response from the proxy: status line "SSH-2.0-OpenSSH"`},
		{"", ErrMalformed, "CONNECT h:1: malformed response from the proxy: the connection closed before a status line"},
		{"HTTP/1.1 200 OK\r\n" + strings.Repeat("X: "+strings.Repeat("a", 100)+"\r\n", 200), ErrHeaderTooLong,
			`CONNECT h:1: the proxy's response header is too long: over 16384 bytes (status "HTTP/1.1 200 OK")`},
	} {
		proxy := listen(t, "127.0.0.1:0", func(c net.Conn) {
			c.Read(make([]byte, 4096))
			c.Write([]byte(tt.answer))
			c.Close()
		})
		_, err := (&Dialer{Target: proxy, Connect: "h:1"}).Dial(dialCtx(t), nil, nil)
		if !errors.Is(err, tt.want) || err.Error() != tt.text {
			t.Errorf("proxy answering %.40q: error %v; want %q", tt.answer, err, tt.text)
		}
	}
}
