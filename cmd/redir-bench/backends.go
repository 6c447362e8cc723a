package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"
)

// Sizes of the short-connection exchange and of one latency round trip.
const (
	requestSize = 16
	replySize   = 16
	pingSize    = 64
)

// servers are the backends the measurements talk to, directly or through
// a forwarder. They run in the helper process (see helper.go), each on
// 127.0.0.1:0.
type servers struct {
	discard  *net.TCPListener // reads and counts everything
	echo     *net.TCPListener // echoes (latency, idle connections)
	reply    *net.TCPListener // reads a request, writes a reply, closes
	received atomic.Int64     // bytes read by discard
}

func startServers() (*servers, error) {
	s := &servers{}
	var err error
	for _, p := range []**net.TCPListener{&s.discard, &s.echo, &s.reply} {
		if *p, err = listenLoopback(); err != nil {
			s.close()
			return nil, err
		}
	}
	go acceptEach(s.discard, func(c *net.TCPConn) { discardConn(c, &s.received) })
	go acceptEach(s.echo, echoConn)
	// Several acceptors that each serve inline: no goroutine per short conn.
	for range 4 {
		go acceptReply(s.reply)
	}
	return s, nil
}

func (s *servers) close() {
	for _, ln := range []*net.TCPListener{s.discard, s.echo, s.reply} {
		if ln != nil {
			ln.Close()
		}
	}
}

func listenLoopback() (*net.TCPListener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return ln.(*net.TCPListener), nil
}

func portOf(ln *net.TCPListener) int { return ln.Addr().(*net.TCPAddr).Port }

// acceptEach serves every conn of ln in its own goroutine until ln closes.
func acceptEach(ln *net.TCPListener, serve func(*net.TCPConn)) {
	for {
		c, err := ln.AcceptTCP()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(5 * time.Millisecond) // EMFILE and the like
			continue
		}
		go serve(c)
	}
}

func discardConn(c *net.TCPConn, total *atomic.Int64) {
	defer c.Close()
	buf := make([]byte, 256<<10)
	for {
		n, err := c.Read(buf)
		total.Add(int64(n))
		if err != nil {
			return
		}
	}
}

func echoConn(c *net.TCPConn) {
	defer c.Close()
	buf := make([]byte, 512)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// acceptReply serves short connections inline: read the request, write the
// reply, close first (as an HTTP/1.0 server would).
func acceptReply(ln *net.TCPListener) {
	var buf [requestSize]byte
	var reply [replySize]byte
	for {
		c, err := ln.AcceptTCP()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil {
			time.Sleep(5 * time.Millisecond)
			continue
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := io.ReadFull(c, buf[:]); err == nil {
			c.Write(reply[:])
		}
		c.Close()
	}
}
