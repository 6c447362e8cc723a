package activation

import (
	"net"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestStdioConnected is inetd nowait: fds 0, 1 and 2 are the client
// socket. The listener yields it; each of them now points at /dev/null,
// so closing the connection reaches the client at once.
func TestStdioConnected(t *testing.T) {
	client, server := connPair(t)
	first := freeFDs(t, 3)
	for i := range 3 {
		placeAt(t, server, first+i)
	}
	server.Close()
	s, err := stdio(first, first+1, first+2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Listener.Close() })
	if !s.Connected || s.FD != first {
		t.Errorf("got %+v, want a connected socket on fd %d", s, first)
	}
	for fd := first; fd < first+3; fd++ {
		if !isDevNull(t, fd) {
			t.Errorf("fd %d does not point at /dev/null", fd)
		}
	}
	c, err := s.Listener.Accept()
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, client, c)
}

// TestStdioOtherStderr is systemd's StandardInput=socket or
// systemd-socket-activate --inetd: stdout is the socket, stderr is not
// and stays as it was.
func TestStdioOtherStderr(t *testing.T) {
	client, server := connPair(t)
	_, w := pipe(t)
	first := freeFDs(t, 3)
	placeAt(t, server, first)
	placeAt(t, server, first+1)
	placeAt(t, w, first+2)
	server.Close()
	s, err := stdio(first, first+1, first+2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Listener.Close() })
	if !isDevNull(t, first+1) || isDevNull(t, first+2) || !sameFile(first+2, int(w.Fd())) {
		t.Errorf("stdout should point at /dev/null, stderr still at the pipe")
	}
	c, err := s.Listener.Accept()
	if err != nil {
		t.Fatal(err)
	}
	exchange(t, client, c)
}

// TestStdioListening is inetd wait: fd 0 is the listening socket.
func TestStdioListening(t *testing.T) {
	ln := listenTCP(t, "[::1]:0")
	first := freeFDs(t, 1)
	placeAt(t, ln, first)
	s, err := stdio(first)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Listener.Close() })
	if _, ok := s.Listener.(*net.TCPListener); !ok || s.Connected {
		t.Fatalf("got %+v with a %T, want a listening socket", s, s.Listener)
	}
	if s.Listener.Addr().String() != ln.Addr().String() {
		t.Errorf("address %s, want %s", s.Listener.Addr(), ln.Addr())
	}
}

// TestStdioNotSocket is -i typed at a terminal, or with a file on stdin:
// an error saying what fd 0 is, and nothing changed.
func TestStdioNotSocket(t *testing.T) {
	r, _ := pipe(t)
	first := freeFDs(t, 1)
	placeAt(t, r, first)
	_, err := stdio(first)
	want := "activation: fd " + strconv.Itoa(first) + " (stdin): not a TCP socket: a pipe"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if !sameFile(first, int(r.Fd())) {
		t.Errorf("fd %d changed", first)
	}
}

func isDevNull(t *testing.T, fd int) bool {
	t.Helper()
	var st, null unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatalf("fd %d: %v", fd, err)
	}
	if err := unix.Stat(os.DevNull, &null); err != nil {
		t.Fatal(err)
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev
}
