package main

import (
	"fmt"
	"io"
	"net"
	"slices"
	"time"
)

const warmupPings = 500

// roundTrips sends n 64-byte messages one at a time on one connection to
// the echo backend behind addr and returns the p50 and p99 round trip in µs.
// Client and backend are plain Go conns: on these machines the runtime's
// poller answers faster than blocking syscalls, so this is the tighter
// direct figure.
func roundTrips(addr *net.TCPAddr, n int, limit time.Duration) (p50, p99 float64, err error) {
	c, err := net.DialTCP("tcp", nil, addr)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(limit))
	samples := make([]time.Duration, 0, n)
	var msg [pingSize]byte
	for i := 0; i < warmupPings+n; i++ {
		t := time.Now()
		if _, err := c.Write(msg[:]); err != nil {
			return 0, 0, fmt.Errorf("after %d round trips: %w", i, err)
		}
		if _, err := io.ReadFull(c, msg[:]); err != nil {
			return 0, 0, fmt.Errorf("after %d round trips: %w", i, err)
		}
		if i >= warmupPings {
			samples = append(samples, time.Since(t))
		}
	}
	slices.Sort(samples)
	us := func(q int) float64 { return float64(samples[len(samples)*q/100]) / 1e3 }
	return us(50), us(99), nil
}
