package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/shaper"
)

// The -o directions, named as redir 3.3 names them, from the client's side.
const (
	shapeIn   = 1 // towards the client: bytes from the target
	shapeOut  = 2 // towards the server: bytes from the client
	shapeBoth = shapeIn | shapeOut
)

// Limits that keep the shaper's arithmetic far from overflow; no slow
// link needs more.
const (
	maxRandomWait = 3_600_000 // -w: an hour, in milliseconds
	maxBufsize    = 16 << 20  // -z: 16 MiB
)

// shapeOptions checks -m, -o, -w and -z. With none of them given the
// shapeConfig stays zero; with any, the unset ones get redir 3.3's
// defaults (-o 3, -z 4096).
func (c *cliArgs) shapeOptions(cfg *config) error {
	if !c.MaxBandwidth.set && !c.WaitInOut.set && !c.RandomWait.set && !c.Bufsize.set {
		return nil
	}
	s := shapeConfig{WaitInOut: shapeBoth, Bufsize: shaper.DefaultPacket}
	var err error
	if c.MaxBandwidth.set {
		m, err := parseInt(c.MaxBandwidth, "-m/--max-bandwidth", 1, maxInt)
		if err != nil {
			return err
		}
		s.MaxBandwidth = int64(m)
	}
	if c.WaitInOut.set {
		if s.WaitInOut, err = parseInt(c.WaitInOut, "-o/--wait-in-out", shapeIn, shapeBoth); err != nil {
			return err
		}
	}
	if c.RandomWait.set {
		w, err := parseInt(c.RandomWait, "-w/--random-wait", 0, maxRandomWait)
		if err != nil {
			return err
		}
		s.RandomWait = time.Duration(w) * time.Millisecond
	}
	if c.Bufsize.set {
		if s.Bufsize, err = parseInt(c.Bufsize, "-z/--bufsize", 256, maxBufsize); err != nil {
			return err
		}
	}
	cfg.Shape = s
	return nil
}

// shaping says whether -m or -w asks for any shaping at all.
func (s shapeConfig) shaping() bool { return s.MaxBandwidth > 0 || s.RandomWait > 0 }

// shapeWrap is the traffic shaper -m and -w ask for, or nil. It shapes
// the reads of the conn each shaped direction comes from: the target's
// for "in", the client's for "out"; the other conn is left as it is.
// Without -m or -w it is nil, so the relay keeps the zero-copy path; -o
// or -z alone then have nothing to act on, and a notice at start says so
// rather than ignoring them silently.
func shapeWrap(cfg config, f *forward.Forwarder) wrapFunc {
	s := cfg.Shape
	if !s.shaping() {
		if s != (shapeConfig{}) && f.Log != nil {
			f.Log.Log(context.Background(), levelNotice,
				"-o and -z shape nothing without -m or -w: connections are relayed unshaped",
				"wait_in_out", s.WaitInOut, "bufsize", s.Bufsize)
		}
		return nil
	}
	sc := shaper.Config{Rate: s.MaxBandwidth, Wait: s.RandomWait, Packet: s.Bufsize}
	if f.Log != nil {
		logShaping(f.Log, s)
	}
	return func(_ forward.ConnInfo, client, target net.Conn) (net.Conn, net.Conn) {
		if s.WaitInOut&shapeOut != 0 {
			client = shaper.Wrap(client, sc)
		}
		if s.WaitInOut&shapeIn != 0 {
			target = shaper.Wrap(target, sc)
		}
		return client, target
	}
}

// logShaping records at start what the shaper does, in plain words.
func logShaping(log *slog.Logger, s shapeConfig) {
	dirs := map[int]string{shapeIn: "towards the client", shapeOut: "towards the server", shapeBoth: "both ways"}[s.WaitInOut]
	packet := min(s.Bufsize, forward.CopyBufferSize) // no read asks for more
	msg := fmt.Sprintf("shaping %s, each connection on its own: packets of at most %d bytes", dirs, packet)
	if packet < s.Bufsize {
		msg += fmt.Sprintf(" (-z %d, but the copy buffer holds %d)", s.Bufsize, forward.CopyBufferSize)
	}
	if s.MaxBandwidth > 0 {
		msg += fmt.Sprintf(", at most %d bit/s (bursts up to %d bytes)", s.MaxBandwidth, shaper.Burst(s.MaxBandwidth, packet))
	}
	if s.RandomWait > 0 {
		msg += fmt.Sprintf(", each held 0 to %v at random", 2*s.RandomWait)
	}
	log.Log(context.Background(), levelNotice, msg,
		"max_bandwidth", s.MaxBandwidth, "wait_in_out", s.WaitInOut,
		"random_wait_ms", s.RandomWait.Milliseconds(), "bufsize", s.Bufsize)
}
