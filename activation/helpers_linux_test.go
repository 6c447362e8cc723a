package activation

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// freeFDs returns the first of n consecutive descriptor numbers, from 100
// up, that are not open; Cleanup closes whatever the test left on them.
func freeFDs(t *testing.T, n int) int {
	t.Helper()
	for first := 100; first < 1000; first += n {
		free := true
		for fd := first; fd < first+n; fd++ {
			if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
				free = false
			}
		}
		if free {
			t.Cleanup(func() {
				for fd := first; fd < first+n; fd++ {
					unix.Close(fd)
				}
			})
			return first
		}
	}
	t.Fatal("no free descriptors from 100 to 1000")
	return -1
}

// placeAt duplicates the descriptor behind s onto fd.
func placeAt(t *testing.T, s syscall.Conn, fd int) {
	t.Helper()
	rc, err := s.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var derr error
	if err := rc.Control(func(old uintptr) { derr = unix.Dup3(int(old), fd, 0) }); err != nil || derr != nil {
		t.Fatalf("dup3 onto %d: %v %v", fd, err, derr)
	}
}

// isOpen says whether descriptor fd is open.
func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

func listenTCP(t *testing.T, addr string) *net.TCPListener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.TCPListener)
}

// connPair returns both ends of a loopback TCP connection: the client's
// and the one the server accepted.
func connPair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln := listenTCP(t, "127.0.0.1:0")
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// unixListener is a listening unix stream socket in the test's directory.
func unixListener(t *testing.T) *net.UnixListener {
	t.Helper()
	ln, err := net.Listen("unix", t.TempDir()+"/s")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.(*net.UnixListener)
}

func udpConn(t *testing.T) *net.UDPConn {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}
