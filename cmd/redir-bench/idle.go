package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the idle test: opening stops after this many failures in a row
// (the forwarder holds no more) or after openTime.
const (
	idleWorkers = 8
	maxFailRun  = 32
	openTime    = 60 * time.Second
	settleTime  = time.Second
)

// idleResult is what a forwarder holds per idle connection.
type idleResult struct {
	kib, fds float64 // per held connection, above the zero-connection baseline
	held     int
	lastErr  error // why the last failed connection failed, if any did
}

// idleCost opens n connections through ch to the echo backend, proves each
// end to end with one exchange, lets them settle and reads ch's memory and
// descriptors, less what it held before with none.
func idleCost(ch *child, n int) (idleResult, error) {
	time.Sleep(300 * time.Millisecond) // the readiness probe's conn is gone
	base, err := usage(ch.pid())
	if err != nil {
		return idleResult{}, err
	}
	conns, lastErr := openIdle(ch.addr, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	time.Sleep(settleTime)
	if err := ch.alive(); err != nil {
		return idleResult{}, err
	}
	now, err := usage(ch.pid())
	if err != nil {
		return idleResult{}, err
	}
	r := idleResult{held: len(conns), lastErr: lastErr}
	if r.held == 0 {
		return r, fmt.Errorf("no connection held: %w", lastErr)
	}
	r.kib = float64(now.rssKiB-base.rssKiB) / float64(r.held)
	r.fds = float64(now.fds-base.fds) / float64(r.held)
	return r, nil
}

// openIdle opens up to n echo connections with a few workers and returns
// those that completed one exchange, with the last error seen.
func openIdle(addr *net.TCPAddr, n int) ([]*net.TCPConn, error) {
	var (
		mu      sync.Mutex
		conns   = make([]*net.TCPConn, 0, n)
		lastErr error
		next    atomic.Int64
		failRun atomic.Int64
		wg      sync.WaitGroup
	)
	end := time.Now().Add(openTime)
	for range idleWorkers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) && failRun.Load() < maxFailRun && time.Now().Before(end) {
				c, err := openOne(addr)
				mu.Lock()
				if err != nil {
					failRun.Add(1)
					lastErr = err
				} else {
					failRun.Store(0)
					conns = append(conns, c)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return conns, lastErr
}

// openOne connects and echoes one small message, so that the connection is
// known to be established through to the backend.
func openOne(addr *net.TCPAddr) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: time.Second}
	nc, err := d.Dial("tcp", addr.String())
	if err != nil {
		return nil, plainError(err)
	}
	c := nc.(*net.TCPConn)
	c.SetDeadline(time.Now().Add(time.Second))
	msg := []byte("idle-connection!")
	if _, err = c.Write(msg); err == nil {
		_, err = io.ReadFull(c, msg)
	}
	if err != nil {
		c.Close()
		return nil, plainError(err)
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

// plainError says why a connection failed without its port numbers, so
// that the same cause reads the same in every round.
func plainError(err error) error {
	var op *net.OpError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("closed by the forwarder before the echo")
	case errors.Is(err, os.ErrDeadlineExceeded):
		return errors.New("no echo within 1s (not accepted or not forwarded)")
	case errors.As(err, &op):
		var sys *os.SyscallError
		if errors.As(op.Err, &sys) {
			return fmt.Errorf("%s: %w", op.Op, sys.Err)
		}
		return fmt.Errorf("%s: %w", op.Op, op.Err)
	}
	return err
}
