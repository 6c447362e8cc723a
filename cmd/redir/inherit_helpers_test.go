package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Helpers for the tests that run redir under real inetd and
// systemd-socket-activate.

// portFree returns a port nobody listens on just now, on every host. It
// comes from outside the ephemeral range: systemd-socket-activate and
// inetd bind without SO_REUSEADDR, and while other tests or benchmarks
// churn through ephemeral ports, one of those can be in use as a client's
// local port, or in TIME-WAIT, and make their bind fail.
func portFree(t *testing.T, hosts ...string) string {
	t.Helper()
	lo, hi := portsOutsideEphemeral(t)
	for range 50 {
		port := strconv.Itoa(lo + rand.IntN(hi-lo))
		free := true
		for _, h := range hosts {
			ln, err := net.Listen("tcp", net.JoinHostPort(h, port))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return port
		}
	}
	t.Fatalf("no port free on all of %v", hosts)
	return ""
}

// portsOutsideEphemeral is a range of ports [lo, hi) that the kernel does
// not hand out as clients' local ports.
func portsOutsideEphemeral(t *testing.T) (lo, hi int) {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	f := strings.Fields(string(b))
	if err != nil || len(f) != 2 {
		t.Fatalf("reading the ephemeral port range: %v %q", err, b)
	}
	first, err1 := strconv.Atoi(f[0])
	last, err2 := strconv.Atoi(f[1])
	switch {
	case err1 != nil || err2 != nil:
		t.Fatalf("ephemeral port range %q", b)
	case first > 11000:
		return 10000, first
	case last < 64000:
		return last + 1, 65536
	}
	t.Fatalf("ephemeral port range %q leaves no room for fixed ports", b)
	return 0, 0
}

// randomBytes returns n bytes that differ with seed.
func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// twoWay is a target that, for every connection, sends down while it
// reads what the client sends until EOF; what it read goes on got.
type twoWay struct {
	addr  string
	down  []byte
	got   chan []byte
	conns atomic.Int64
}

func startTwoWay(t *testing.T, down []byte) *twoWay {
	t.Helper()
	tw := &twoWay{down: down, got: make(chan []byte, 16)}
	tw.addr = startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		tw.conns.Add(1)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		sent := make(chan struct{})
		go func() {
			defer close(sent)
			c.Write(tw.down)
			c.(*net.TCPConn).CloseWrite()
		}()
		b, _ := io.ReadAll(c)
		<-sent
		tw.got <- b
	})
	return tw
}

// check connects to addr (from local, when not nil), sends up and
// half-closes while reading until EOF, and checks that the client got
// exactly the target's bytes and the target exactly the client's.
func (tw *twoWay) check(t *testing.T, addr string, local net.Addr, up []byte) {
	t.Helper()
	d := net.Dialer{LocalAddr: local, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	sent := make(chan error, 1)
	go func() {
		_, err := c.Write(up)
		c.(*net.TCPConn).CloseWrite()
		sent <- err
	}()
	down, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("client reading: %v", err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("client sending: %v", err)
	}
	if !bytes.Equal(down, tw.down) {
		t.Fatalf("client got %d bytes, not the target's %d (first 64: %q)", len(down), len(tw.down), down[:min(64, len(down))])
	}
	select {
	case got := <-tw.got:
		if !bytes.Equal(got, up) {
			t.Fatalf("target got %d bytes, not the client's %d", len(got), len(up))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the target did not finish reading")
	}
}
