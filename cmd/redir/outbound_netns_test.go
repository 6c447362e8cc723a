package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
	"golang.org/x/sys/unix"
)

// Network namespaces for the outbound tests: documentation-range
// addresses live only inside them, and they are removed on Cleanup.

var netnsCount atomic.Int64

// newNetns creates a network namespace with lo up and returns its name.
func newNetns(t *testing.T) string {
	t.Helper()
	testenv.RequireRoot(t)
	name := fmt.Sprintf("redirt%d-%d", os.Getpid(), netnsCount.Add(1))
	mustRun(t, "ip", "netns", "add", name)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	nsRun(t, name, "ip", "link", "set", "lo", "up")
	return name
}

// mustRun runs a command that has to succeed.
func mustRun(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// nsRun runs a command inside namespace ns; it has to succeed.
func nsRun(t *testing.T, ns string, args ...string) {
	t.Helper()
	mustRun(t, "ip", append([]string{"netns", "exec", ns}, args...)...)
}

// nsStart starts a long-running command inside namespace ns (ip netns exec
// execs it, so killing the process kills the command).
func nsStart(t *testing.T, ns string, args ...string) *redirProc {
	t.Helper()
	return startCmd(t, exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...), strings.Join(args, " "))
}

// inNetns runs f on an OS thread that has joined namespace ns: sockets f
// creates (listeners, dials) belong to ns for good. The thread is never
// given back to the scheduler: it ends with the goroutine.
func inNetns(t *testing.T, ns string, f func()) {
	t.Helper()
	fd, err := unix.Open("/run/netns/"+ns, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread dies with the goroutine
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- err
			return
		}
		defer func() { errc <- nil }()
		f()
	}()
	if err := <-errc; err != nil {
		t.Fatalf("setns %s: %v", ns, err)
	}
}

// nsListen is startBackend inside namespace ns.
func nsListen(t *testing.T, ns, addr string, serve func(net.Conn)) string {
	t.Helper()
	var ln net.Listener
	var err error
	inNetns(t, ns, func() { ln, err = net.Listen("tcp", addr) })
	if err != nil {
		t.Fatalf("listening on %s in namespace %s: %v", addr, ns, err)
	}
	return serveListener(t, ln, serve)
}

// serveListener runs serve for each connection ln accepts, then closes
// it. Cleanup closes ln and the open conns and waits for the handlers.
func serveListener(t *testing.T, ln net.Listener, serve func(net.Conn)) string {
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { defer c.Close(); serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return ln.Addr().String()
}

// nsDial connects from inside namespace ns to addr, from local when it is
// not "", within 5 s; Cleanup closes the conn.
func nsDial(t *testing.T, ns, local, addr string) net.Conn {
	t.Helper()
	var c net.Conn
	var err error
	inNetns(t, ns, func() {
		d := net.Dialer{Timeout: 5 * time.Second}
		if local != "" {
			d.LocalAddr, err = net.ResolveTCPAddr("tcp", local)
		}
		if err == nil {
			c, err = d.Dial("tcp", addr)
		}
	})
	if err != nil {
		t.Fatalf("connecting from namespace %s to %s: %v", ns, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
