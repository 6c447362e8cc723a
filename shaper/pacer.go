package shaper

import (
	"math/bits"
	"time"
)

// Slack is how far a pacer that fell behind its schedule may catch up at
// once. Go's timers wake a millisecond or more late, more on a loaded
// host; without it every late wake-up would be lost for good and the rate
// would fall short, at 100 Mbit/s by a third. It is also why a burst may
// exceed one packet: see Burst.
//
// A wake-up later than Slack loses the rest for good, and must: the bound
// holds over every interval, including the one that starts when the late
// packet goes, and from then on the pacer may send no more than the rate
// and Burst. Catching up on more than Slack would be a bigger burst than
// the one documented, whatever the interval's length.
const Slack = 10 * time.Millisecond

const maxDuration = time.Duration(1<<63 - 1)

// pacer spaces the packets of one direction so that, over any interval,
// they carry no more than rate bits per second, give or take Burst.
//
// It books each packet on a schedule: a packet of n bytes takes the slot
// that starts at next and lasts n*8/rate seconds. A packet may go at the
// start of its slot and not before. The schedule is never more than Slack
// in the past: an idle direction earns no credit beyond that.
type pacer struct {
	rate uint64    // bits per second, > 0
	next time.Time // start of the next free slot
	rem  uint64    // nanosecond fraction carried over, in units of 1/rate ns
}

func newPacer(bitsPerSecond int64) *pacer {
	return &pacer{rate: uint64(bitsPerSecond)}
}

// release books n bytes that are ready to go at ready and returns when
// they may go: ready itself, or later if the rate says so.
func (p *pacer) release(ready time.Time, n int) time.Time {
	if earliest := ready.Add(-Slack); p.next.Before(earliest) {
		p.next = earliest
	}
	at := p.next
	if at.Before(ready) {
		at = ready
	}
	p.next = p.next.Add(p.slot(n))
	return at
}

// slot is how long n bytes take at the rate. The remainder of the division
// is carried to the next slot, so no fraction of a nanosecond is lost and
// a long transfer keeps the rate exactly.
func (p *pacer) slot(n int) time.Duration {
	hi, lo := bits.Mul64(uint64(n)*8, uint64(time.Second))
	lo, carry := bits.Add64(lo, p.rem, 0)
	hi += carry
	if hi >= p.rate { // a slot of centuries: n is absurd for the rate
		p.rem = 0
		return maxDuration
	}
	q, r := bits.Div64(hi, lo, p.rate)
	p.rem = r
	return time.Duration(min(q, uint64(maxDuration)))
}

// Burst is the most bytes a direction limited to bitsPerSecond with
// packets of up to packet bytes carries above the rate in any interval:
// in T seconds at most bitsPerSecond*T/8 + Burst bytes pass.
func Burst(bitsPerSecond int64, packet int) int64 {
	per := 8 * int64(time.Second/Slack) // bits per second for 1 byte in Slack
	slack := bitsPerSecond / per
	if bitsPerSecond%per != 0 {
		slack++
	}
	return int64(packet) + slack
}
