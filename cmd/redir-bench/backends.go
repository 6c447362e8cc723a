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

// backends are the servers the measurements talk to, directly or through a
// forwarder. All listen on 127.0.0.1:0 in this process.
type backends struct {
	discard  *net.TCPListener // reads and counts everything
	ping     *net.TCPListener // echoes (latency)
	reply    *net.TCPListener // reads a request, writes a reply, closes
	echo     *helper          // echoes, in a process of its own (idle test)
	received atomic.Int64     // bytes read by discard
}

func startBackends() (*backends, error) {
	b := &backends{}
	var err error
	listeners := []**net.TCPListener{&b.discard, &b.ping, &b.reply}
	for _, p := range listeners {
		if *p, err = listenLoopback(); err != nil {
			b.close()
			return nil, err
		}
	}
	if b.echo, err = startEchoHelper(); err != nil {
		b.close()
		return nil, err
	}
	go acceptEach(b.discard, func(c *net.TCPConn) { discardConn(c, &b.received) })
	go acceptEach(b.ping, echoConn)
	// Several acceptors that each serve inline: no goroutine per short conn.
	for range 4 {
		go acceptReply(b.reply)
	}
	return b, nil
}

func (b *backends) close() {
	for _, ln := range []*net.TCPListener{b.discard, b.ping, b.reply} {
		if ln != nil {
			ln.Close()
		}
	}
	if b.echo != nil {
		b.echo.stop()
	}
}

// listenLoopback listens on 127.0.0.1:0 without TCP keepalive on accepted
// conns: four setsockopt calls less per short connection.
func listenLoopback() (*net.TCPListener, error) {
	lc := net.ListenConfig{KeepAlive: -1}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	return ln.(*net.TCPListener), nil
}

func addrOf(ln *net.TCPListener) *net.TCPAddr { return ln.Addr().(*net.TCPAddr) }

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
