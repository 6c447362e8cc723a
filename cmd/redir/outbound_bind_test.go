package main

import (
	"net"
	"testing"
	"time"
)

// TestBindSourceIPv6: -b with an IPv6 address is the source the target
// sees. In a namespace of its own with 2001:db8::1 and 2001:db8::2 on lo.
func TestBindSourceIPv6(t *testing.T) {
	ns := newNetns(t)
	for _, a := range []string{"2001:db8::1/128", "2001:db8::2/128"} {
		nsRun(t, ns, "ip", "-6", "addr", "add", a, "dev", "lo", "nodad")
	}
	seen := make(chan string, 1)
	backend := nsListen(t, ns, "[2001:db8::1]:0", func(c net.Conn) {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		seen <- host
		echo(c)
	})
	addr := "[2001:db8::1]:8000" // the namespace is new: nothing listens there
	p := nsStart(t, ns, redirBin, "-n", "-b", "2001:db8::2", addr, backend)
	p.waitLog(t, "listening on")
	roundTrip(t, nsDial(t, ns, "", addr), "from where?")
	if got := <-seen; got != "2001:db8::2" {
		t.Fatalf("backend saw the connection from %s, want 2001:db8::2", got)
	}
}

// TestBindNotOnHostIPv6: an IPv6 -b address the host does not have is
// refused at start, exit 1, the address named.
func TestBindNotOnHostIPv6(t *testing.T) {
	_, absent6 := absentAddrs(t)
	p := startRedir(t, "-n", "-b", "["+absent6+"]", freeAddr(t, "::1"), freeAddr(t, "::1"))
	if code := p.exitCode(t, 10*time.Second); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	checkOneLineError(t, p.Stderr.String(), absent6, "not usable")
}
