package shaper

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns the two ends of a loopback TCP connection; Cleanup
// closes both.
func tcpPair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			c = nil
		}
		accepted <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := <-accepted
	if c == nil {
		d.Close()
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { d.Close(); c.Close() })
	return d.(*net.TCPConn), c.(*net.TCPConn)
}

// TestReadAtMostPacket checks that a read delivers at most Packet bytes
// whatever the caller's buffer, and all the bytes in order.
func TestReadAtMostPacket(t *testing.T) {
	a, b := tcpPair(t)
	want := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	go func() { a.Write(want); a.CloseWrite() }()
	s := Wrap(b, Config{Rate: 1 << 50, Packet: 300}) // a rate that holds nothing back
	var got []byte
	buf := make([]byte, 32<<10)
	for i := 0; i < 10_000; i++ {
		n, err := s.Read(buf)
		if n > 300 {
			t.Fatalf("read %d bytes, want at most 300", n)
		}
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %d bytes, want the %d sent", len(got), len(want))
	}
}

// TestCloseEndsHold checks that closing a conn whose read is holding a
// packet (here for minutes) ends the read at once.
func TestCloseEndsHold(t *testing.T) {
	a, b := tcpPair(t)
	s := Wrap(b, Config{Rate: 8, Packet: 256}) // a byte a second
	if _, err := a.Write(make([]byte, 512)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1024)
	if n, err := s.Read(buf); n != 256 || err != nil { // the first goes at once
		t.Fatalf("first read: %d, %v", n, err)
	}
	time.AfterFunc(100*time.Millisecond, func() { s.Close() })
	start := time.Now()
	n, err := s.Read(buf)
	if !errors.Is(err, net.ErrClosed) || n != 0 {
		t.Errorf("read during Close: %d, %v; want 0, net.ErrClosed", n, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close ended the hold after %v", d)
	}
}

// TestDeadlineWhileWaiting checks that the read deadline still ends a
// read that waits for bytes to arrive.
func TestDeadlineWhileWaiting(t *testing.T) {
	_, b := tcpPair(t)
	s := Wrap(b, Config{Rate: 1000, Wait: time.Millisecond})
	s.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	start := time.Now()
	if _, err := s.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with no data: %v, want the deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("deadline of 50ms ended the read after %v", d)
	}
}

// TestCloseWritePassesThrough checks that a half-close through the
// shaped conn reaches the peer, and that writes are not shaped.
func TestCloseWritePassesThrough(t *testing.T) {
	a, b := tcpPair(t)
	s := Wrap(b, Config{Rate: 8, Packet: 256})
	go func() {
		s.Write(make([]byte, 1<<20)) // a MiB: far above the read rate
		s.CloseWrite()
	}()
	a.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := io.Copy(io.Discard, a)
	if err != nil || n != 1<<20 {
		t.Fatalf("peer read %d bytes, %v; want 1 MiB and EOF", n, err)
	}
}

// TestCloseWriteWithoutHalfClose checks that a conn that cannot half-close
// is closed whole.
func TestCloseWriteWithoutHalfClose(t *testing.T) {
	p1, p2 := net.Pipe()
	defer p2.Close()
	s := Wrap(p1, Config{Rate: 1000})
	if err := s.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if _, err := p2.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("peer of a pipe closed by CloseWrite read %v, want EOF", err)
	}
}

// TestPacketAloneShapesNothing checks that a Config without Rate or Wait
// leaves reads whole.
func TestPacketAloneShapesNothing(t *testing.T) {
	a, b := tcpPair(t)
	if _, err := a.Write(make([]byte, 1000)); err != nil {
		t.Fatal(err)
	}
	s := Wrap(b, Config{Packet: 300})
	s.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := io.ReadAtLeast(s, make([]byte, 2000), 1000); n != 1000 || err != nil {
		t.Fatalf("read %d, %v; want all 1000 bytes", n, err)
	}
}

// TestHolding checks that a conn says it is holding while, and only
// while, a read holds a packet back: not before the read, not while a
// read waits for bytes or delivers one at once, not once the packet went;
// and that a conn shaping nothing never says so. forward's
// TestIdleWhileHolding checks what a relay makes of it.
func TestHolding(t *testing.T) {
	const hold = 300 * time.Millisecond
	a1, a2 := tcpPair(t)
	plain := Wrap(a2, Config{Packet: 256})
	b1, b2 := tcpPair(t)
	shaped := Wrap(b2, Config{Rate: 8 * 256 * int64(time.Second/hold), Packet: 256}) // a packet per hold
	buf := make([]byte, 256)
	waiting := make(chan error, 1)
	go func() { _, err := io.ReadFull(shaped, buf); waiting <- err }()
	time.Sleep(20 * time.Millisecond)
	if shaped.Holding() {
		t.Error("holding while the read waits for bytes")
	}
	for _, c := range []*net.TCPConn{a1, b1} {
		if _, err := c.Write(make([]byte, 512)); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-waiting; err != nil { // the first packet goes at once
		t.Fatal(err)
	}
	if shaped.Holding() {
		t.Error("holding after a packet went at once")
	}
	held := make(chan struct{})
	go func() { io.ReadFull(shaped, buf); close(held) }()
	if !holdingBefore(shaped, held) {
		t.Error("never holding while the second packet was held back")
	}
	if _, err := io.ReadFull(plain, make([]byte, 512)); err != nil || plain.Holding() {
		t.Errorf("a conn shaping nothing: read %v, holding %v; want all at once, never holding", err, plain.Holding())
	}
	<-held
	if shaped.Holding() {
		t.Error("still holding after the held packet went")
	}
}

// holdingBefore says whether s was seen holding before done was closed.
func holdingBefore(s *Conn, done <-chan struct{}) bool {
	for {
		select {
		case <-done:
			return false
		default:
		}
		if s.Holding() {
			return true
		}
		time.Sleep(time.Millisecond)
	}
}
