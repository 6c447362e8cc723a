package main

import (
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/shaper"
)

// shapeSeconds is how long each measured transfer lasts, as the issue
// measures: long enough that one packet at 8 kbit/s (256 ms) is a small
// part of it.
const shapeSeconds = 10

// checkRate checks a received transfer against -m bps with -z packet.
//
// The rate: the bytes after the documented burst took, from the moment
// the connection was made to the last byte, a time that is bps within 5 %.
// Counting from the connection rather than from the first byte read keeps
// a receiver that was slow to get its first read (a busy host) from
// looking like a fast sender.
//
// The limit: at no read had more arrived than the burst and bps for the
// time since the connection was made. A receiver's delays only make bytes
// arrive later, so this bound holds however busy the host is; the same
// bound over every window, not only those from the start, is the pacer's
// (shaper's TestPacerWindowBound), which a receiver's delays would blur.
func checkRate(t *testing.T, label string, tr transfer, want int64, bps int64, packet int) {
	t.Helper()
	total := tr.total()
	if total != want {
		t.Errorf("%s: received %d bytes in %d reads, want %d", label, total, len(tr.reads), want)
		return
	}
	burst := shaper.Burst(bps, packet)
	span := tr.reads[len(tr.reads)-1].at.Sub(tr.start)
	rate := float64(total-burst) * 8 / span.Seconds()
	t.Logf("%s: %.0f bit/s (%+.2f%%) over %v (%d of %d reads timed by the reader, not the kernel)",
		label, rate, (rate/float64(bps)-1)*100, span, tr.unstamped, len(tr.reads))
	if rate < 0.95*float64(bps) || rate > 1.05*float64(bps) {
		t.Errorf("%s: %d bytes (%d after the burst) in %v: %.0f bit/s, want %d within 5%%", label, total, total-burst, span, rate, bps)
	}
	var got int64
	for i, a := range tr.reads {
		got += int64(a.n)
		if limit := burst + int64(float64(bps)/8*a.at.Sub(tr.start).Seconds()); got > limit {
			t.Errorf("%s: %d bytes by read %d, %v after connecting; want at most %d (the burst and the rate)",
				label, got, i, a.at.Sub(tr.start), limit)
			return
		}
	}
}

// sendN is a backend that sends n bytes and closes.
func sendN(n int64) func(net.Conn) {
	return func(c net.Conn) {
		c.SetWriteDeadline(time.Now().Add(time.Minute))
		io.CopyN(c, zeroes{}, n)
	}
}

// zeroes reads as endless zero bytes.
type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// transferSize is what a transfer of about shapeSeconds at bps carries,
// in whole packets: the burst goes at once, the rest at the rate. Whole
// packets because the last packet's bytes go at the start of its slot:
// a short last packet would make the rate look lower than it is.
func transferSize(bps int64, packet int) int64 {
	n := bps/8*shapeSeconds + shaper.Burst(bps, packet)
	return (n + int64(packet) - 1) / int64(packet) * int64(packet)
}

// shapeCase is one timed scenario of TestShapeRates, run with redir
// binary bin.
type shapeCase struct {
	name string
	run  func(t *testing.T, bin string)
}

// TestShapeRates runs every timed shaping scenario, each a transfer of
// about 10 s, as subtests. Those that copy little (2 Mbit/s a connection
// or less, and the direction tests, whose unshaped bulk transfers are
// over in a fraction of a second) run all at the same time: they mostly
// wait, so together they take little more than one. Those that copy a
// lot (10 and 100 Mbit/s) then run one after another, each on its own.
// Those that copy more than a trickle go through a redir built without
// the race detector: on a busy host, copying hundreds of Mbit/s at once,
// several times slower under -race, would leave the shaper short of CPU
// and the rates short of the band, which measures the host, not redir.
// The race-built redir still carries the slow transfers, and the other
// process tests. Every timed redir runs at a higher priority (niceTimed).
// t.Parallel would run only GOMAXPROCS (here 2) at a time.
func TestShapeRates(t *testing.T) {
	bin := plainRedir(t)
	low, high := towardsClientCases()
	low = append(low, shapeCase{"towards_server_2000000bps_5conns", towardsServer})
	var wg sync.WaitGroup
	for _, c := range low {
		wg.Go(func() { t.Run(c.name, func(t *testing.T) { c.run(t, redirBin) }) })
	}
	for _, c := range directionCases() {
		wg.Go(func() { t.Run(c.name, func(t *testing.T) { c.run(t, bin) }) })
	}
	wg.Wait()
	for _, c := range high {
		t.Run(c.name, func(t *testing.T) { c.run(t, bin) })
	}
}

// plainRedir is a redir built without the race detector, for the tests
// that time transfers of many Mbit/s: redirBin when the tests run without
// it, else one built now into the test's temporary directory.
func plainRedir(t *testing.T) string {
	t.Helper()
	if !raceEnabled {
		return redirBin
	}
	bin := filepath.Join(t.TempDir(), "redir")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building redir without -race: %v\n%s", err, out)
	}
	return bin
}

// niceTimed is the command line prefix that starts a redir whose
// transfers are timed at a higher scheduling priority than the tests and
// programs around it: a timer of the shaper's that fires more than 10 ms
// late (Slack) costs the rate the time beyond, and on a host that other
// work keeps busy the scheduler makes it that late. The tests measure the
// shaper, not how busy the host is. Only root may raise a priority;
// anyone else gets a warning from nice and the same run at the usual one.
var niceTimed = []string{"nice", "-n", "-10"}

// startTimed starts redir binary bin with args, at niceTimed's priority.
func startTimed(t *testing.T, bin string, args ...string) *redirProc {
	t.Helper()
	return startProc(t, niceTimed[0], append(append(niceTimed[1:len(niceTimed):len(niceTimed)], bin), args...)...)
}

// towardsClientCases measure transfers from the target through redir -m
// at several rates, with 1 and with 20 connections at once, each
// connection held to the rate on its own.
// The cases of 10 Mbit/s a connection or more come second.
func towardsClientCases() (low, high []shapeCase) {
	tests := []struct {
		bps    int64
		packet int // -z; 0: the default
		conns  int
		host   string
	}{
		{8000, 256, 1, "127.0.0.1"},
		{8000, 256, 20, "127.0.0.1"},
		{8000, 0, 1, "127.0.0.1"}, // redir 3.3's 4 KiB packets: one each 4 s
		{1_000_000, 0, 1, "::1"},
		{1_000_000, 0, 20, "127.0.0.1"},
		{2_000_000, 0, 20, "127.0.0.1"},
		{10_000_000, 0, 20, "127.0.0.1"},
		{100_000_000, 0, 1, "127.0.0.1"},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("towards_client_%dbps_z%d_%dconns_%s", tt.bps, tt.packet, tt.conns, tt.host)
		c := shapeCase{name, func(t *testing.T, bin string) {
			towardsClient(t, bin, tt.bps, tt.packet, tt.conns, tt.host)
		}}
		if tt.bps >= 10_000_000 {
			high = append(high, c)
		} else {
			low = append(low, c)
		}
	}
	return low, high
}

// towardsClient runs conns transfers at once from the target through a
// redir (bin) -m bps (-z packet unless 0), over host, and checks each.
func towardsClient(t *testing.T, bin string, bps int64, packet, conns int, host string) {
	args := []string{"-n", "-m", strconv.FormatInt(bps, 10)}
	if packet != 0 {
		args = append(args, "-z", strconv.Itoa(packet))
	} else {
		packet = shaper.DefaultPacket
	}
	size := transferSize(bps, packet)
	backend := startBackend(t, net.JoinHostPort(host, "0"), sendN(size))
	addr := freeAddr(t, host)
	p := startTimed(t, bin, append(args, addr, backend)...)
	p.waitLog(t, "listening on")
	logs := make([]transfer, conns)
	errs := make([]error, conns)
	var wg sync.WaitGroup
	for i := range conns {
		start := time.Now() // before: the dial may return late
		c := dialRetry(t, addr)
		wg.Go(func() { logs[i], errs[i] = receive(c, start) })
	}
	wg.Wait()
	for i := range conns {
		if errs[i] != nil {
			t.Errorf("conn %d: %v", i, errs[i])
		}
		checkRate(t, fmt.Sprintf("conn %d", i), logs[i], size, bps, packet)
	}
}

// towardsServer measures the other direction, -o 2: what the client
// sends reaches the target at the rate.
func towardsServer(t *testing.T, bin string) {
	const bps, conns = 2_000_000, 5
	size := transferSize(bps, shaper.DefaultPacket)
	got := make(chan transfer, conns)
	var start atomic.Pointer[time.Time] // before the first client connects
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		log, err := receive(c, *start.Load())
		if err != nil {
			t.Errorf("target: %v", err)
		}
		got <- log
	})
	addr := freeAddr(t, "127.0.0.1")
	p := startTimed(t, bin, "-n", "-o", "2", "--max-bandwidth", strconv.Itoa(bps), addr, backend)
	p.waitLog(t, "listening on")
	now := time.Now()
	start.Store(&now)
	for range conns {
		c := dialRetry(t, addr)
		go func() {
			c.SetWriteDeadline(time.Now().Add(time.Minute))
			if _, err := io.CopyN(c, zeroes{}, size); err == nil {
				c.(*net.TCPConn).CloseWrite()
			}
		}()
	}
	for i := range conns {
		select {
		case log := <-got:
			checkRate(t, fmt.Sprintf("conn %d", i), log, size, bps, shaper.DefaultPacket)
		case <-time.After(time.Minute):
			t.Fatalf("only %d of %d transfers arrived within a minute", i, conns)
		}
	}
}
