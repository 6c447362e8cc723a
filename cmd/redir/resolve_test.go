package main

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
	"golang.org/x/sys/unix"
)

// The target's host is resolved for every connection and each of its
// addresses is tried in turn. These tests give redir an /etc/hosts of
// their own, bind-mounted over the real one in a private mount namespace
// (unshare -m), so that a name has several addresses, some of which
// refuse, and so that what it resolves to can change while redir runs.

// startWithHosts runs redir -n -l info args in a mount namespace whose
// /etc/hosts is hosts (a file the test may rewrite in place).
func startWithHosts(t *testing.T, hosts string, args ...string) *redirProc {
	t.Helper()
	testenv.RequireRoot(t)
	script := `mount --bind "$0" /etc/hosts && exec "$@"`
	argv := append([]string{"-m", "--propagation", "private", "sh", "-c", script, hosts, redirBin, "-n", "-l", "info"}, args...)
	return startProc(t, "unshare", argv...)
}

// writeHosts writes text to path in place (same inode, so a bind mount of
// it sees the change).
func writeHosts(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// exchange relays msg and back over a connection to addr, then closes it
// (the connection's record follows).
func exchange(t *testing.T, addr, msg string) {
	t.Helper()
	c := dialRetry(t, addr)
	defer c.Close()
	roundTrip(t, c, msg)
}

// TestTargetAddressesInTurn: a name whose first address refuses is
// reached at its next one, and the record names the address that
// answered. Go's resolver sorts a name's addresses (RFC 6724): 127.0.0.1
// before 127.0.0.2 (the longer prefix shared with the source), ::1 before
// any IPv4 address, whatever the order in the file (strace shows the
// refused connect first). A socket bound, not listening, on 127.0.0.1 or
// ::1 at the port of the backend that answers makes sure nothing else
// does.
func TestTargetAddressesInTurn(t *testing.T) {
	v4 := startBackend(t, "127.0.0.2:0", echo)
	v6 := startBackend(t, "127.0.0.1:0", echo)
	refuseAt(t, "127.0.0.1", v4)
	refuseAt(t, "::1", v6)
	hosts := filepath.Join(t.TempDir(), "hosts")
	writeHosts(t, hosts, "127.0.0.1 localhost\n"+
		"127.0.0.2 redir-v4.test\n127.0.0.1 redir-v4.test\n"+
		"127.0.0.1 redir-v6.test\n::1 redir-v6.test\n")
	for name, backend := range map[string]string{"redir-v4.test": v4, "redir-v6.test": v6} {
		_, port, _ := net.SplitHostPort(backend)
		addr := freeAddr(t, "127.0.0.1")
		p := startWithHosts(t, hosts, addr, net.JoinHostPort(name, port))
		exchange(t, addr, "through "+name)
		p.waitLog(t, "target="+backend+" bytes_from_client")
	}
}

// refuseAt binds a TCP socket to host at backend's port and does not
// listen until the test ends: nothing else can listen there meanwhile, so
// a connect there is refused (RST).
func refuseAt(t *testing.T, host, backend string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(backend)
	ap, err := netip.ParseAddrPort(net.JoinHostPort(host, port))
	if err != nil {
		t.Fatal(err)
	}
	var sa unix.Sockaddr = &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	family := unix.AF_INET6
	if ap.Addr().Is4() {
		sa, family = &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, sa); err != nil {
		t.Fatalf("binding %s to make sure it refuses: %v", ap, err)
	}
}

// TestTargetResolvedAfresh: when the name's address changes, a later
// connection goes to the new one, with no restart (Go's resolver may keep
// /etc/hosts for a few seconds: the test allows 20).
func TestTargetResolvedAfresh(t *testing.T) {
	first := startBackend(t, "127.0.0.1:0", echo)
	_, port, _ := net.SplitHostPort(first)
	second := startBackend(t, net.JoinHostPort("127.0.0.3", port), echo)
	hosts := filepath.Join(t.TempDir(), "hosts")
	writeHosts(t, hosts, "127.0.0.1 redir-moving.test\n")
	addr := freeAddr(t, "127.0.0.1")
	p := startWithHosts(t, hosts, addr, net.JoinHostPort("redir-moving.test", port))
	exchange(t, addr, "to the first")
	p.waitLog(t, "target="+first+" bytes_from_client")
	writeHosts(t, hosts, "127.0.0.3 redir-moving.test\n")
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.Stderr.String(), "target="+second+" bytes_from_client") {
		if time.Now().After(deadline) {
			t.Fatalf("no connection reached %s within 20 s of the change:\n%s", second, p.Stderr)
		}
		exchange(t, addr, "to whichever")
		time.Sleep(500 * time.Millisecond)
	}
}
