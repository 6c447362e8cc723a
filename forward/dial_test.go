package forward_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redir-project/redir/forward"
)

// blackhole returns the address of a listener whose accept queue is full
// and never drained: the kernel drops new SYNs, so a connect to it hangs
// until the dialer gives up.
func blackhole(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil { // room for one connection
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*unix.SockaddrInet4).Port)
	dialTCP(t, addr) // fills the queue
	return addr
}

// TestDialTimeout: a target that does not answer is given up after
// DialTimeout; the client is closed then, with a "dial error" record.
func TestDialTimeout(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const timeout = 500 * time.Millisecond
			target := blackhole(t)
			s := kind.serve(t, &forward.Forwarder{Target: target, DialTimeout: timeout})
			took := expectClosed(t, s.dial(t), 3*time.Second)
			if took < timeout-50*time.Millisecond || took > 4*timeout {
				t.Errorf("client closed %v after connecting, with DialTimeout %v", took, timeout)
			}
			r := s.logs.waitConn(t)
			checkRecord(t, r, forward.ReasonDialError, 0, 0)
			if !strings.Contains(r.str("error"), "time") {
				t.Errorf("dial error %q does not say it timed out", r.str("error"))
			}
			if !s.running() {
				t.Fatalf("Serve returned after a dial timeout: %v", s.err)
			}
		})
	}
}

// TestShutdownWhileDialing: a connection still dialling when the drain
// timeout runs out is closed, and Serve returns.
func TestShutdownWhileDialing(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const drain = 200 * time.Millisecond
			target := blackhole(t)
			s := kind.serve(t, &forward.Forwarder{Target: target, DrainTimeout: drain})
			c := s.dial(t)
			time.Sleep(100 * time.Millisecond)
			checkAbort(t, s, c, drain)
			r := s.logs.waitConn(t)
			if reason := r.str("reason"); reason != forward.ReasonShutdown && reason != forward.ReasonDialError {
				t.Errorf("record reason %q, want shutdown (or dial error)", reason)
			}
			t.Logf("reason %q", r.str("reason"))
		})
	}
}

// TestLocalAddr: outbound connections come from LocalAddr (redir -b).
func TestLocalAddr(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			from := make(chan string, 1)
			b := tcpBackend(t, func(c *net.TCPConn) {
				from <- c.RemoteAddr().(*net.TCPAddr).IP.String()
				echo(c)
			})
			local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}
			s := kind.serve(t, &forward.Forwarder{Target: b.addr, LocalAddr: local})
			c := s.dial(t)
			roundTrip(t, c, []byte("from 127.0.0.2"))
			if got := <-from; got != "127.0.0.2" {
				t.Errorf("target sees the forwarder at %s, want 127.0.0.2", got)
			}
		})
	}
}

// TestLocalAddrOtherFamily: an IPv4 LocalAddr cannot reach an IPv6 target;
// that is a dial error, not a hang or a crash.
func TestLocalAddrOtherFamily(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			b := startBackend(t, listen(t, "tcp6", "[::1]:0"), func(c *net.TCPConn) { echo(c) })
			local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}
			s := kind.serve(t, &forward.Forwarder{Target: b.addr, LocalAddr: local})
			expectClosed(t, s.dial(t), 2*time.Second)
			checkRecord(t, s.logs.waitConn(t), forward.ReasonDialError, 0, 0)
		})
	}
}
