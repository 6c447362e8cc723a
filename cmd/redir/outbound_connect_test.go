package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// startTinyproxy runs a real tinyproxy on 127.0.0.1 in the foreground,
// in namespace ns ("" for this one), with a private config that allows
// CONNECT to port allowed only, and returns its address.
func startTinyproxy(t *testing.T, ns, allowed string) string {
	t.Helper()
	port := "3128" // a namespace of the test's own: free
	if ns == "" {
		port = portFree(t, "127.0.0.1")
	}
	conf := filepath.Join(t.TempDir(), "tinyproxy.conf")
	text := fmt.Sprintf("Port %s\nListen 127.0.0.1\nTimeout 30\nConnectPort %s\nLogLevel Info\n", port, allowed)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("tinyproxy", "-d", "-c", conf)
	if ns != "" {
		cmd = exec.Command("ip", "netns", "exec", ns, "tinyproxy", "-d", "-c", conf)
	}
	out := new(testenv.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	startCmd(t, cmd, "tinyproxy")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("tinyproxy output:\n%s", out)
		}
	})
	addr := net.JoinHostPort("127.0.0.1", port)
	if ns == "" {
		testenv.WaitListening(t, addr)
	} else {
		nsWaitListening(t, ns, addr)
	}
	return addr
}

// nsWaitListening waits up to 10 s for a connection to addr in namespace
// ns to succeed.
func nsWaitListening(t *testing.T, ns, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		inNetns(t, ns, func() {
			var c net.Conn
			if c, err = net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
			}
		})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s in namespace %s after 10s: %v", addr, ns, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// greeter is a target that speaks first: it sends greeting on accept,
// reads exactly want bytes (put on got), then sends "BYE" and closes.
// tinyproxy ends a tunnel at the first EOF from either side, so the end
// is the target's, not a half-close of the client's.
func greeter(greeting []byte, want int, got chan<- []byte) func(net.Conn) {
	return func(c net.Conn) {
		c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write(greeting); err != nil {
			return
		}
		buf := make([]byte, want)
		n, _ := io.ReadFull(c, buf)
		got <- buf[:n]
		c.Write([]byte("BYE"))
	}
}

// TestConnectTinyproxy: -x through a real tinyproxy relays byte-exact
// both ways, the target's greeting (sent on accept, so it follows
// tinyproxy's 200 at once) included.
func TestConnectTinyproxy(t *testing.T) {
	greeting, up := randomBytes(64<<10, 7), randomBytes(256<<10, 8)
	got := make(chan []byte, 1)
	backend := startBackend(t, "127.0.0.1:0", greeter(greeting, len(up), got))
	_, bport, _ := net.SplitHostPort(backend)
	proxy := startTinyproxy(t, "", bport)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "-x", backend, addr, proxy)
	p.waitLog(t, "listening on")
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	sent := make(chan error, 1)
	go func() { _, err := c.Write(up); sent <- err }()
	down, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("client reading: %v", err)
	}
	if err := <-sent; err != nil {
		t.Fatalf("client sending: %v", err)
	}
	if want := append(bytes.Clone(greeting), "BYE"...); !bytes.Equal(down, want) {
		t.Errorf("client got %d bytes, want the greeting and BYE, %d (first 64: %q)", len(down), len(want), down[:min(64, len(down))])
	}
	if b := <-got; !bytes.Equal(b, up) {
		t.Errorf("target got %d bytes, not the client's %d", len(b), len(up))
	}
	c.Close()
	p.waitLog(t, "reason=eof")
	p.stopOK(t)
}

// TestConnectDenied: a port tinyproxy refuses closes the client with no
// byte sent, and the dial error record has tinyproxy's status line.
func TestConnectDenied(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	proxy := startTinyproxy(t, "", portFree(t, "127.0.0.1")) // not backend's port
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-x", backend, addr, proxy)
	p.waitLog(t, "listening on")
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	c.Write([]byte("hello?"))
	if b, err := io.ReadAll(c); len(b) != 0 {
		t.Errorf("client got %q (%v), want the connection closed with nothing", b, err)
	}
	p.waitLog(t, "dial error")
	p.waitLog(t, "403 Access violation")
	if log := p.Stderr.String(); !strings.Contains(log, "the proxy refused CONNECT to "+backend) || strings.Contains(log, "outbound:") {
		t.Errorf("the record does not say once that the proxy refused CONNECT to %s:\n%s", backend, log)
	}
	p.stopOK(t)
}

// TestConnectProxyProtocol: with -x, the PROXY header goes through the
// tunnel: the server behind tinyproxy (a real nginx) reads the client's
// address from it, and sees tinyproxy as its peer.
func TestConnectProxyProtocol(t *testing.T) {
	ns := newNetns(t)
	nsRun(t, ns, "ip", "addr", "add", "127.0.0.3/8", "dev", "lo")
	accessLog := startNginx(t, ns)
	proxy := startTinyproxy(t, ns, "8080")
	p := nsStart(t, ns, redirBin, "-n", "-x", "127.0.0.1:8080", "--proxy-protocol", "v2", "127.0.0.1:8003", proxy)
	p.waitLog(t, "listening on")
	conn := nsDial(t, ns, "127.0.0.3:0", "127.0.0.1:8003")
	httpGet(t, conn)
	conn.Close()
	port := conn.LocalAddr().(*net.TCPAddr).Port
	waitFileLine(t, accessLog, fmt.Sprintf("127.0.0.3 %d 127.0.0.1 8003 127.0.0.1", port))
	p.stopOK(t)
}
