package ftp

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// passiveListener has the rig's server name a data port and returns the
// redirector's data listener that the rewritten 227 names.
func passiveListener(t *testing.T, r *rig) netip.AddrPort {
	t.Helper()
	sp := listenOn(t, "127.0.0.1").Addr().(*net.TCPAddr).AddrPort()
	got := through(t, r.server, r.wt, fmt.Sprintf("227 Entering Passive Mode (%s)\r\n", hostPort(sp)))
	port, err := parse227(strings.TrimPrefix(got, "227 "))
	if err != nil {
		t.Fatalf("reply %q (%v)", got, err)
	}
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
}

// TestTooManyStrangers: the data listener turns away exactly maxStrangers
// connections from other addresses, each with a record, then closes with
// one saying so and no longer takes even the client's.
func TestTooManyStrangers(t *testing.T) {
	r := newRig(t, Pasv, time.Minute)
	ours := passiveListener(t, r)
	for i := range maxStrangers {
		c, err := dialFromHost("127.0.0.2", ours)
		if err != nil {
			t.Fatalf("stranger %d: %v", i+1, err)
		}
		c.Close()
	}
	r.waitLog(t, "closed after too many connections from other addresses")
	if n := strings.Count(r.logs.String(), "data connection from another address refused"); n != maxStrangers {
		t.Errorf("%d strangers turned away, want %d:\n%s", n, maxStrangers, r.logs)
	}
	// The record comes just before the close: a dial may still land in
	// the backlog for a moment, but must never be relayed.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c, err := dialFromHost("127.0.0.1", ours)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still takes connections after giving up")
		}
	}
	select {
	case p := <-r.relayed:
		p[0].Close()
		p[1].Close()
		t.Error("Relay called after the listener gave up")
	case <-time.After(100 * time.Millisecond):
	}
}

// TestActiveDataStranger: the data listener of an active transfer turns
// away a connection from an address other than the server's, then takes
// the server's.
func TestActiveDataStranger(t *testing.T) {
	r := newRig(t, Port, time.Minute)
	cp := listenOn(t, "127.0.0.1").Addr().(*net.TCPAddr).AddrPort()
	got := through(t, r.client, r.wc, "PORT "+hostPort(cp)+"\r\n")
	ours, err := parseHostPort(strings.TrimSuffix(strings.TrimPrefix(got, "PORT "), "\r\n"))
	if err != nil {
		t.Fatalf("command %q (%v)", got, err)
	}
	stranger, err := dialFromHost("127.0.0.2", ours)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	r.waitLog(t, "data connection from another address refused")
	if !strings.Contains(r.logs.String(), "from=127.0.0.2:") {
		t.Errorf("the record does not name the stranger:\n%s", r.logs)
	}
	stranger.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := stranger.Read(make([]byte, 1)); err == nil {
		t.Errorf("the stranger's connection is open (read %d bytes)", n)
	}
	sc, err := dialFromHost("127.0.0.1", ours)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if pair := r.waitRelay(t); pair[1].RemoteAddr().String() != sc.LocalAddr().String() {
		t.Errorf("relayed the server side %v, want %v", pair[1].RemoteAddr(), sc.LocalAddr())
	}
}
