package forward

import (
	"bytes"
	"io"
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

	var sent1 []byte
	for i := 0; i < 2000 && p1.dir[1].pending == 0; i++ {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, 1000)
		if _, err := target1.Write(msg); err != nil {
			t.Fatal(err)
		}
		sent1 = append(sent1, msg...)
		time.Sleep(200 * time.Microsecond)
		l.step(p1, 1, false)
	}
	d := &p1.dir[1]
	if d.pending == 0 || p1.closed {
		t.Fatalf("no bytes pending for the first client after %d bytes (closed %v)", len(sent1), p1.closed)
	}
	if d.bulk || d.pipe.valid() {
		t.Fatalf("the direction splices (bulk %v): the small-read path was not taken", d.bulk)
	}
	if d.borrowed {
		t.Fatal("pending bytes left in the loop's scratch buffer")
	}

	other := bytes.Repeat([]byte{'Z'}, 3000)
	if _, err := target2.Write(other); err != nil {
		t.Fatal(err)
	}
	got2 := make([]byte, len(other))
	for i := 0; i < 200 && p2.dir[1].n < int64(len(other)); i++ {
		time.Sleep(time.Millisecond)
		l.step(p2, 1, false)
	}
	if _, err := io.ReadFull(client2, got2); err != nil || !bytes.Equal(got2, other) {
		t.Fatalf("second pair: %v, bytes equal %v", err, bytes.Equal(got2, other))
	}

	got1 := make(chan []byte, 1)
	go func() {
		b := make([]byte, len(sent1))
		n, _ := io.ReadFull(client1, b)
		got1 <- b[:n]
	}()
	for i := 0; i < 2000 && p1.dir[1].n < int64(len(sent1)); i++ {
		time.Sleep(time.Millisecond)
		l.step(p1, 1, false)
	}
	b := <-got1
	if !bytes.Equal(b, sent1) {
		at := 0
		for at < len(b) && b[at] == sent1[at] {
			at++
		}
		t.Fatalf("first client got %d of %d bytes, first difference at %d", len(b), len(sent1), at)
	}
}
