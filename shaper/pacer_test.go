package shaper

import (
	"math/rand/v2"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// TestPacerSteadyStream feeds packets as fast as they are let go: each is
// spaced one slot after the last, and a long transfer takes exactly its
// bits over the rate, also when a slot is not a whole number of
// nanoseconds.
func TestPacerSteadyStream(t *testing.T) {
	tests := []struct {
		rate    int64
		n, pkts int
	}{
		{8000, 256, 40},              // 256 ms a packet
		{100_000_000, 4096, 100_000}, // 327.68 µs a packet
		{8001, 1000, 8001},           // 999.875... ms a packet
		{3, 256, 7},                  // 682.666... s a packet
	}
	for _, tt := range tests {
		p := newPacer(tt.rate)
		ready, first := t0, time.Time{}
		for i := 0; i < tt.pkts; i++ {
			at := p.release(ready, tt.n)
			if i == 0 {
				first = at
				if !at.Equal(t0) {
					t.Fatalf("rate %d: first packet held until %v, want at once", tt.rate, at.Sub(t0))
				}
			}
			if at.Before(ready) {
				t.Fatalf("rate %d: packet %d let go before it was ready", tt.rate, i)
			}
			ready = at
		}
		// Packet k starts at first - Slack + k slots, but not before first.
		bits := int64(tt.n) * 8 * int64(tt.pkts-1)
		want := time.Duration(bits*int64(time.Second)/tt.rate) - Slack
		if got := ready.Sub(first); got < want || got > want+time.Nanosecond {
			t.Errorf("rate %d, %d packets of %d bytes: last let go %v after the first, want %v",
				tt.rate, tt.pkts, tt.n, got, want)
		}
	}
}

// TestPacerIdleEarnsNoCredit checks that a direction idle for a long time
// may then send only Burst at once, not the rate times the idle time.
func TestPacerIdleEarnsNoCredit(t *testing.T) {
	const rate, n = 1_000_000, 1000 // 8 ms a packet
	p := newPacer(rate)
	p.release(t0, n)
	ready := t0.Add(time.Hour)
	sent, last := 0, ready
	for i := 0; i < 20; i++ {
		at := p.release(ready, n)
		if at.Equal(ready) {
			sent += n
		}
		last = at
	}
	if want := int(Burst(rate, n)); sent > want {
		t.Errorf("after an hour idle %d bytes went at once, want at most Burst = %d", sent, want)
	}
	if want := ready.Add(20*8*time.Millisecond - Slack - 8*time.Millisecond); !last.Equal(want) {
		t.Errorf("20th packet after idle at %v, want %v", last.Sub(ready), want.Sub(ready))
	}
}

// TestPacerCatchesUpLateWakeups checks that a hold that ends late (a timer
// firing late, the host busy) costs no rate as long as it is within Slack:
// the next packets go at once until the schedule is met again.
func TestPacerCatchesUpLateWakeups(t *testing.T) {
	const rate, n, pkts = 100_000_000, 4096, 30_000 // 327.68 µs a packet
	p := newPacer(rate)
	r := rand.New(rand.NewPCG(1, 2))
	ready := t0
	for i := 0; i < pkts; i++ {
		at := p.release(ready, n)
		if at.After(ready) { // held: the timer fires up to 3 ms late
			at = at.Add(time.Duration(r.Int64N(int64(3 * time.Millisecond))))
		}
		ready = at.Add(20 * time.Microsecond) // the next packet is read

	}
	ideal := time.Duration(int64(n) * 8 * pkts * int64(time.Second) / rate)
	if got := ready.Sub(t0); got > ideal+5*time.Millisecond {
		t.Errorf("%d packets with late wake-ups took %v, want at most %v", pkts, got, ideal+5*time.Millisecond)
	}
}

// TestPacerWindowBound checks the documented limit over every window that
// starts at a packet: in T seconds at most rate*T/8 + Burst bytes, for
// packets of random sizes that become ready at random times.
func TestPacerWindowBound(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		rate := 1000 + r.Int64N(200_000_000)
		maxPkt := 256 + r.IntN(32<<10)
		p := newPacer(rate)
		type sent struct {
			at time.Time
			n  int
		}
		var log []sent
		ready := t0
		for i := 0; i < 2000; i++ {
			n := 1 + r.IntN(maxPkt)
			at := p.release(ready, n)
			log = append(log, sent{at, n})
			// Sometimes the next packet is ready at once, sometimes later.
			gap := time.Duration(0)
			if r.IntN(3) == 0 {
				gap = time.Duration(r.Int64N(int64(50 * time.Millisecond)))
			}
			ready = at.Add(gap)
		}
		for i := range log {
			for _, T := range []time.Duration{time.Millisecond, 100 * time.Millisecond, time.Second} {
				var bytes int64
				for j := i; j < len(log) && log[j].at.Sub(log[i].at) <= T; j++ {
					bytes += int64(log[j].n)
				}
				limit := rate*int64(T)/int64(8*time.Second) + Burst(rate, maxPkt) + 1
				if bytes > limit {
					t.Fatalf("seed %d rate %d: %d bytes in %v from packet %d, limit %d", seed, rate, bytes, T, i, limit)
				}
			}
		}
	}
}

func TestBurst(t *testing.T) {
	tests := []struct {
		rate   int64
		packet int
		want   int64
	}{
		{8000, 256, 256 + 10},
		{100_000_000, 4096, 4096 + 125_000},
		{1, 4096, 4096 + 1},
	}
	for _, tt := range tests {
		if got := Burst(tt.rate, tt.packet); got != tt.want {
			t.Errorf("Burst(%d, %d) = %d, want %d", tt.rate, tt.packet, got, tt.want)
		}
	}
}

// TestPacerAbsurdSlot checks that a slot too long for a Duration saturates
// rather than wrapping or panicking.
func TestPacerAbsurdSlot(t *testing.T) {
	p := newPacer(1)
	if d := p.slot(1 << 40); d != maxDuration {
		t.Errorf("slot(1<<40) at 1 bit/s = %v, want the longest Duration", d)
	}
}
