package forward

// The review test of the event loop's dispatch, and the raw socket pairs
// that it and the small-read test drive a loop with. Package forward (not
// forward_test) because it drives a loop's dispatch directly.

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReviewDispatchAfterClose: an event on the client socket that is both
// readable and writable, while target-to-client bytes wait in the pipe,
// and the target has been reset. step(0) reads the client's bytes, fails
// to write them to the target and closes the pair; dispatch must not then
// step direction 1 of the closed pair (it panics slicing a nil buffer, or,
// in buffer mode, closes the pair a second time: two records, two sem
// releases, two active.Done).
func TestReviewDispatchAfterClose(t *testing.T) {
	client, fd0 := reviewSockPair(t)
	target, fd1 := reviewSockPair(t)
	client.SetReadBuffer(16 << 10)
	unix.SetsockoptInt(fd0, unix.SOL_SOCKET, unix.SO_SNDBUF, 16<<10)
	go func() { // fills the client's buffers and our pipe
		target.SetWriteDeadline(time.Now().Add(5 * time.Second))
		target.Write(make([]byte, 4<<20))
	}()
	l := &loop{epfd: -1, byFD: map[int32]*pair{}, listeners: map[int32]*watchedListener{}}
	var done atomic.Int32
	p := newPair(&session{}, fd0, fd1, func(*session, result) { done.Add(1) })
	p.tags = [2]int32{1, 2}
	l.byFD[int32(fd0)], l.byFD[int32(fd1)] = p, p
	for i := 0; i < 200 && p.dir[1].pending == 0 && !p.closed; i++ {
		l.now = time.Now().UnixNano()
		l.step(p, 1, false)
		time.Sleep(5 * time.Millisecond)
	}
	if p.dir[1].pending == 0 || p.closed {
		t.Fatalf("no target bytes waiting for the client (closed %v)", p.closed)
	}
	target.SetLinger(0)
	target.Close() // a reset for fd1
	waitPollErr(t, fd1)
	client.Write([]byte("x"))
	client.Read(make([]byte, 64<<10)) // room again: fd0 writable
	time.Sleep(20 * time.Millisecond)
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT, Fd: int32(fd0), Pad: 1}
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("dispatch panicked on a pair its first step closed: %v", r)
			}
		}()
		l.dispatch(p, ev)
	}()
	if !p.closed || done.Load() != 1 {
		t.Errorf("pair closed %v, done called %d times; want closed once", p.closed, done.Load())
	}
}

// reviewSockPair is a loopback TCP connection: the peer's conn, and a
// non-blocking duplicate of our end's descriptor (our conn is closed).
func reviewSockPair(t *testing.T) (*net.TCPConn, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	peer, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { peer.Close() })
	ours, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer ours.Close()
	fd, err := dupFD(ours.(*net.TCPConn))
	if err != nil {
		t.Fatal(err)
	}
	peer.SetDeadline(time.Now().Add(5 * time.Second))
	return peer.(*net.TCPConn), fd
}

// waitPollErr waits up to 2 s for fd to show POLLERR (without reading
// SO_ERROR, which would clear it).
func waitPollErr(t *testing.T, fd int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(pfd, 10); n > 0 && pfd[0].Revents&unix.POLLERR != 0 {
			return
		}
	}
	t.Fatal("no reset seen on the target socket")
}
