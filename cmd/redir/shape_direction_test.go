package main

import (
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/shaper"
)

// duplex relays one connection through a redir (bin) started with args while
// both ends send: the target toClient bytes, the client toServer bytes,
// each as fast as the other end reads, each half-closing when done. A
// side whose count is bulkBytes starts bulkDelay later, in the middle of
// the other's transfer. It returns what each end received: the client's
// reads ("in") and the target's ("out").
func duplex(t *testing.T, bin string, args []string, toClient, toServer int64) (in, out transfer) {
	t.Helper()
	var start atomic.Pointer[time.Time]
	outc := make(chan transfer, 1)
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		go sendHalfClose(c, toClient)
		tr, err := receive(c, *start.Load())
		if err != nil {
			t.Errorf("target: %v", err)
		}
		outc <- tr
	})
	addr := freeAddr(t, "127.0.0.1")
	p := startTimed(t, bin, append(append([]string{"-n"}, args...), addr, backend)...)
	p.waitLog(t, "listening on")
	now := time.Now()
	start.Store(&now)
	c := dialRetry(t, addr)
	go sendHalfClose(c, toServer)
	in, err := receive(c, now)
	if err != nil {
		t.Errorf("client: %v", err)
	}
	select {
	case out = <-outc:
	case <-time.After(time.Minute):
		t.Fatal("the target did not get the client's bytes within a minute")
	}
	return in, out
}

// A bulk transfer in a direction test: bulkBytes sent bulkDelay into the
// shaped transfer the other way.
const (
	bulkBytes = 16 << 20
	bulkDelay = 3 * time.Second
)

// sendHalfClose sends n bytes on c and half-closes it.
func sendHalfClose(c net.Conn, n int64) {
	if n == bulkBytes {
		time.Sleep(bulkDelay)
	}
	c.SetWriteDeadline(time.Now().Add(time.Minute))
	if _, err := io.CopyN(c, zeroes{}, n); err == nil {
		c.(*net.TCPConn).CloseWrite()
	}
}

// checkFullSpeed checks that an unshaped direction carried its bytes at
// 20 times or more the rate bps the other direction is limited to, while
// that one was held to it: all its bytes arrived before the shaped
// direction's last. 20 times rather than a fixed speed, so that a busy
// host's slower copying does not count against the shaper; a direction
// that waited for the other would come nowhere near it.
func checkFullSpeed(t *testing.T, label string, tr, shaped transfer, bps int64) {
	t.Helper()
	got := tr.total()
	if got != bulkBytes {
		t.Fatalf("%s: received %d bytes, want %d", label, got, bulkBytes)
	}
	last := tr.reads[len(tr.reads)-1].at
	if !last.Before(shaped.reads[len(shaped.reads)-1].at) {
		t.Errorf("%s: the unshaped transfer ended after the shaped one: they did not overlap", label)
	}
	span := last.Sub(tr.reads[0].at)
	rate := float64(got) * 8 / span.Seconds()
	t.Logf("%s, unshaped: %d bytes in %v, %.0f Mbit/s", label, got, span, rate/1e6)
	if rate < 20*float64(bps) {
		t.Errorf("%s, unshaped: %.1f Mbit/s, want at least %.0f (20 times the other direction's limit)",
			label, rate/1e6, 20*float64(bps)/1e6)
	}
}

// directionCases check that one direction's shaping never holds up the
// other (TestShapeRates runs them).
func directionCases() []shapeCase {
	return []shapeCase{
		{"only_towards_client", onlyTowardsClient},
		{"only_towards_server", onlyTowardsServer},
		{"both_directions_apart", bothDirectionsApart},
	}
}

// The direction tests shape one direction at 1 Mbit/s.
const directionBPS = 1_000_000

// onlyTowardsClient checks -o 1: the shaped direction holds its rate while
// the other carries its bytes at full speed at the same time.
func onlyTowardsClient(t *testing.T, bin string) {
	const bps = directionBPS
	shaped := transferSize(bps, shaper.DefaultPacket)
	in, out := duplex(t, bin, []string{"-m", strconv.Itoa(bps), "-o", "1"}, shaped, bulkBytes)
	checkRate(t, "towards the client", in, shaped, bps, shaper.DefaultPacket)
	checkFullSpeed(t, "towards the server", out, in, bps)
}

// onlyTowardsServer is onlyTowardsClient for -o 2.
func onlyTowardsServer(t *testing.T, bin string) {
	const bps = directionBPS
	shaped := transferSize(bps, shaper.DefaultPacket)
	in, out := duplex(t, bin, []string{"-m", strconv.Itoa(bps), "--wait-in-out=2"}, bulkBytes, shaped)
	checkRate(t, "towards the server", out, shaped, bps, shaper.DefaultPacket)
	checkFullSpeed(t, "towards the client", in, out, bps)
}

// bothDirectionsApart checks that with both directions shaped (the
// default) each gets the whole rate at the same time: one direction's
// waits never hold the other up, as redir 3.3's did.
func bothDirectionsApart(t *testing.T, bin string) {
	const bps, packet = 1_000_000, 1024
	n := transferSize(bps, packet)
	in, out := duplex(t, bin, []string{"-m", strconv.Itoa(bps), "-z", strconv.Itoa(packet)}, n, n)
	checkRate(t, "towards the client", in, n, bps, packet)
	checkRate(t, "towards the server", out, n, bps, packet)
}
