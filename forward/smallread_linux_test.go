package forward

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestSmallReadPendingOwned: bytes that a full destination leaves pending
// after a small read must leave the loop's scratch buffer, which the next
// read of any pair reuses; else the first client gets the second pair's
// bytes in place of its own.
func TestSmallReadPendingOwned(t *testing.T) {
	client1, c1 := reviewSockPair(t)
	target1, t1 := reviewSockPair(t)
	client2, c2 := reviewSockPair(t)
	target2, t2 := reviewSockPair(t)
	client1.SetReadBuffer(4 << 10)
	unix.SetsockoptInt(c1, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<10)
	l := &loop{epfd: -1, byFD: map[int32]*pair{}, listeners: map[int32]*watchedListener{}}
	t.Cleanup(l.pool.closeAll)
	done := func(*session, result) {}
	p1, p2 := newPair(&session{}, c1, t1, done), newPair(&session{}, c2, t2, done)
	t.Cleanup(func() { l.closePair(p1, result{}); l.closePair(p2, result{}) })

	sent1 := fillPending(t, l, p1, target1)
	checkPendingOwned(t, p1, len(sent1))
	checkOtherPair(t, l, p2, client2, target2)

	got1 := readAsync(client1, len(sent1))
	stepUntilSent(l, p1, len(sent1), 2000)
	b := <-got1
	if !bytes.Equal(b, sent1) {
		at := 0
		for at < len(b) && b[at] == sent1[at] {
			at++
		}
		t.Fatalf("first client got %d of %d bytes, first difference at %d", len(b), len(sent1), at)
	}
}

// fillPending writes 1000-byte runs of one letter to target and steps p's
// target-to-client direction after each, until bytes are left pending
// (the client's buffers are full), for up to 2000 runs. It returns all
// that was written.
func fillPending(t *testing.T, l *loop, p *pair, target net.Conn) []byte {
	t.Helper()
	var sent []byte
	for i := 0; i < 2000 && p.dir[1].pending == 0; i++ {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, 1000)
		if _, err := target.Write(msg); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, msg...)
		time.Sleep(200 * time.Microsecond)
		l.step(p, 1, false)
	}
	return sent
}

// checkPendingOwned fails the test unless p's target-to-client direction
// has bytes pending, took the small-read path, and holds those bytes in
// memory of its own rather than the loop's scratch buffer.
func checkPendingOwned(t *testing.T, p *pair, sent int) {
	t.Helper()
	d := &p.dir[1]
	if d.pending == 0 || p.closed {
		t.Fatalf("no bytes pending for the first client after %d bytes (closed %v)", sent, p.closed)
	}
	if d.bulk || d.pipe.valid() {
		t.Fatalf("the direction splices (bulk %v): the small-read path was not taken", d.bulk)
	}
	if d.borrowed {
		t.Fatal("pending bytes left in the loop's scratch buffer")
	}
}

// checkOtherPair sends 3000 bytes through the second pair, reusing the
// loop's scratch buffer, and checks that its client gets them.
func checkOtherPair(t *testing.T, l *loop, p *pair, client, target net.Conn) {
	t.Helper()
	other := bytes.Repeat([]byte{'Z'}, 3000)
	if _, err := target.Write(other); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(other))
	stepUntilSent(l, p, len(other), 200)
	if _, err := io.ReadFull(client, got); err != nil || !bytes.Equal(got, other) {
		t.Fatalf("second pair: %v, bytes equal %v", err, bytes.Equal(got, other))
	}
}

// stepUntilSent steps p's target-to-client direction every millisecond
// until it has sent n bytes, at most tries times.
func stepUntilSent(l *loop, p *pair, n, tries int) {
	for i := 0; i < tries && p.dir[1].n < int64(n); i++ {
		time.Sleep(time.Millisecond)
		l.step(p, 1, false)
	}
}

// readAsync reads n bytes from c in a goroutine and delivers what it got,
// fewer at an error.
func readAsync(c net.Conn, n int) <-chan []byte {
	got := make(chan []byte, 1)
	go func() {
		b := make([]byte, n)
		k, _ := io.ReadFull(c, b)
		got <- b[:k]
	}()
	return got
}
