package forward_test

import (
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redir-project/redir/forward"
)

// TestAcceptEMFILE runs the accept loop into a real open-file limit: the
// process may open just enough descriptors for the clients' own sockets,
// so accepting theirs fails with EMFILE. Serve must neither exit nor spin
// (its CPU time stays low), must warn once, and must serve the waiting
// clients once the limit is lifted. Not parallel: the limit is the
// process's.
func TestAcceptEMFILE(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) { acceptEMFILE(t, kind) })
	}
}

func acceptEMFILE(t *testing.T, kind listenerKind) {
	const clients = 3
	b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
	s := kind.serve(t, &forward.Forwarder{Target: b.addr})
	roundTripWithin(t, s, "warm", 2*time.Second)
	s.logs.waitConns(t, 1, 2*time.Second)
	eventually(t, 2*time.Second, b.idle, func() string { return "target conn still open" })
	socks := clientSockets(t, clients)
	cpu := withFDLimit(t, func() {
		for _, fd := range socks {
			if err := unix.Connect(fd, loopbackSockaddr(t, s.addr)); err != nil {
				t.Errorf("connect: %v", err)
			}
		}
		time.Sleep(300 * time.Millisecond)
	})
	if cpu > 100*time.Millisecond {
		t.Errorf("%v of CPU time in 300 ms at the open-file limit: the accept loop spins", cpu)
	}
	if !s.running() {
		t.Fatalf("Serve returned at the open-file limit: %v", s.err)
	}
	for _, fd := range socks {
		c := fileConn(t, fd)
		c.SetDeadline(time.Now().Add(3 * time.Second))
		roundTrip(t, c, []byte("served at last"))
		c.(*net.TCPConn).CloseWrite()
		expectClosed(t, c, 2*time.Second)
	}
	if n := len(s.logs.others()); n != 1 {
		t.Errorf("%d warnings for one EMFILE episode, want 1: %v", n, s.logs.others())
	}
	checkTotals(t, s.logs.waitConns(t, 1+clients, 5*time.Second), 1+clients, 4+clients*14, 4+clients*14)
}

// clientSockets opens n unconnected TCP sockets, to connect once no
// descriptor can be opened any more.
func clientSockets(t *testing.T, n int) []int {
	var fds []int
	for i := 0; i < n; i++ {
		fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		fds = append(fds, fd)
	}
	return fds
}

func loopbackSockaddr(t *testing.T, addr string) unix.Sockaddr {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !ap.Addr().Is4() {
		t.Fatalf("%s is not an IPv4 address: %v", addr, err)
	}
	return &unix.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
}

// fileConn makes a net.Conn of a connected socket, which it takes over.
func fileConn(t *testing.T, fd int) net.Conn {
	f := os.NewFile(uintptr(fd), "client")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// withFDLimit runs f with the soft open-file limit set so that no more
// descriptors can be opened, and returns the CPU time the process used
// meanwhile.
func withFDLimit(t *testing.T, f func()) time.Duration {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	lim := old
	lim.Cur = lowestFreeFD(t)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old)
	before := cpuTime(t)
	f()
	return cpuTime(t) - before
}

// lowestFreeFD is the lowest descriptor number not in use: as a limit
// (which bounds numbers, not a count), it lets no descriptor be opened.
func lowestFreeFD(t *testing.T) uint64 {
	t.Helper()
	dir, err := os.Open("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	names, err := dir.Readdirnames(-1)
	if err != nil {
		t.Fatal(err)
	}
	open := map[int]bool{}
	for _, name := range names {
		n, _ := strconv.Atoi(name)
		open[n] = true
	}
	delete(open, int(dir.Fd())) // free again once read
	dir.Close()
	fd := 0
	for open[fd] {
		fd++
	}
	return uint64(fd)
}

func cpuTime(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
