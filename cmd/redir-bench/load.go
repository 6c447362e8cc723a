package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds that keep every load loop finite whatever the clock does.
const (
	bulkWrite   = 1 << 20 // bytes per write of a bulk stream
	maxWrites   = 1 << 16 // per stream: 64 GiB
	maxShort    = 1 << 20 // short connections per rate run
	rateClients = 4       // concurrent short-connection clients
)

// warmup is the uncounted start of a bulk or rate run.
func warmup(d time.Duration) time.Duration { return min(d/5, 500*time.Millisecond) }

// window lets a load run for its warm-up and d, calls stop, and returns how
// far count moved per second over d.
func window(count func() (int64, error), d time.Duration, stop func()) (float64, error) {
	defer stop()
	time.Sleep(warmup(d))
	n0, err := count()
	t0 := time.Now()
	if err != nil {
		return 0, err
	}
	time.Sleep(d)
	n1, err := count()
	t1 := time.Now()
	return float64(n1-n0) / t1.Sub(t0).Seconds(), err
}

// bulk writes 1 MiB buffers on streams connections to the discard backend
// behind addr; the figure is MB/s read by the backend (received).
func bulk(addr *net.TCPAddr, streams int, d time.Duration, received func() (int64, error)) (float64, error) {
	conns := make([]*net.TCPConn, 0, streams)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range streams {
		c, err := net.DialTCP("tcp", nil, addr)
		if err != nil {
			return 0, err
		}
		conns = append(conns, c)
	}
	var stopped atomic.Bool
	errs := make([]error, streams)
	buf := make([]byte, bulkWrite)
	end := time.Now().Add(warmup(d) + d + 5*time.Second)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { errs[i] = writeUntil(c, buf, &stopped, end) })
	}
	rate, werr := window(received, d, func() {
		stopped.Store(true)
		for _, c := range conns {
			c.SetWriteDeadline(time.Now()) // unblock a write in progress
		}
	})
	wg.Wait()
	if err := errors.Join(append(errs, werr)...); err != nil {
		return 0, err
	}
	if rate == 0 {
		return 0, errors.New("no byte reached the backend")
	}
	return rate / 1e6, nil
}

func writeUntil(c *net.TCPConn, buf []byte, stopped *atomic.Bool, end time.Time) error {
	c.SetWriteDeadline(end)
	for i := 0; i < maxWrites && !stopped.Load(); i++ {
		if _, err := c.Write(buf); err != nil {
			if stopped.Load() {
				return nil
			}
			return err
		}
	}
	return nil
}

// connRate runs rateClients loops of connect, request, reply, close against
// the reply backend behind addr and returns completed connections per second.
func connRate(addr *net.TCPAddr, d time.Duration) (float64, error) {
	var done atomic.Int64
	var stopped atomic.Bool
	errs := make([]error, rateClients)
	var wg sync.WaitGroup
	for i := range rateClients {
		wg.Go(func() { errs[i] = shortConns(addr, &done, &stopped) })
	}
	count := func() (int64, error) { return done.Load(), nil }
	rate, werr := window(count, d, func() { stopped.Store(true) })
	wg.Wait()
	if err := errors.Join(append(errs, werr)...); err != nil {
		return 0, err
	}
	return rate, nil
}

func shortConns(addr *net.TCPAddr, done *atomic.Int64, stopped *atomic.Bool) error {
	var req [requestSize]byte
	var buf [replySize + 1]byte
	d := net.Dialer{KeepAlive: -1}
	target := addr.String()
	for !stopped.Load() && done.Load() < maxShort {
		nc, err := d.Dial("tcp", target)
		if err != nil {
			return err
		}
		c := nc.(*net.TCPConn)
		err = exchange(c, req[:], buf[:])
		c.Close()
		if err != nil {
			return err
		}
		done.Add(1)
	}
	return nil
}

// exchange sends the request and reads the whole reply, up to the server's
// close (HTTP/1.0 style: the server closes first).
func exchange(c *net.TCPConn, req, buf []byte) error {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, buf[:replySize]); err != nil {
		return fmt.Errorf("reading the reply: %w", err)
	}
	if n, err := c.Read(buf[replySize:]); n != 0 || err != io.EOF {
		return fmt.Errorf("after the reply: want EOF, got %d bytes, %v", n, err)
	}
	return nil
}
