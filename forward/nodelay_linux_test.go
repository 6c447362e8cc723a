package forward

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestAcceptedNoDelay: on the raw accept path every accepted client socket
// has TCP_NODELAY, the first (which checks that the listener's setting
// came through) and the ones after it (which rely on that check), so a
// small reply is not held back by Nagle's algorithm. The sockets are found
// through /proc, by their ports: the relay's own state is the loops'.
func TestAcceptedNoDelay(t *testing.T) {
	ln := reviewListen(t)
	port := ln.Addr().(*net.TCPAddr).Port
	reviewServe(t, &Forwarder{Target: reviewEcho(t)}, ln)
	for i := range 3 {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, make([]byte, 4)); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		fd := acceptedFD(t, port, c.LocalAddr().(*net.TCPAddr).Port)
		v, err := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY)
		if err != nil || v == 0 {
			t.Errorf("client %d: the accepted socket's TCP_NODELAY is %d (%v), want set", i, v, err)
		}
	}
}

// acceptedFD is this process's descriptor of the socket that the
// listener on port accepted from the client port peer.
func acceptedFD(t *testing.T, port, peer int) int {
	t.Helper()
	f, err := os.Open("/proc/self/net/tcp")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := fmt.Sprintf(":%04X", port)
	wantPeer := fmt.Sprintf(":%04X", peer)
	inode := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 9 && strings.HasSuffix(fields[1], want) && strings.HasSuffix(fields[2], wantPeer) {
			inode = fields[9]
		}
	}
	if inode == "" {
		t.Fatalf("no socket from port %d to %d in /proc/self/net/tcp", port, peer)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link == "socket:["+inode+"]" {
			fd, _ := strconv.Atoi(e.Name())
			return fd
		}
	}
	t.Fatalf("socket inode %s (port %d to %d) is not open in this process", inode, port, peer)
	return -1
}
