package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// With an open-file limit of 64 set before it starts, redir holds its
// connections to what fits, so 100 simultaneous clients are all served
// (the rest wait in the backlog), and the daemon is idle afterwards.
func TestFileLimitAtStart(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startProc(t, "prlimit", "--nofile=64:64", redirBin, "-n", "-l", "err", addr, backend)
	dialRetry(t, addr).Close()
	if failed := hammer(t, addr, 100); failed != 0 {
		t.Fatalf("%d of 100 clients were not relayed byte-exact", failed)
	}
	checkServingAndIdle(t, p, addr)
}

// A limit lowered under a running redir makes accept and dial fail with
// EMFILE: it backs off instead of spinning or exiting, logs the episode,
// and serves again once descriptors are free.
func TestFileLimitLoweredWhileRunning(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "err", addr, backend)
	dialRetry(t, addr).Close()
	lim := unix.Rlimit{Cur: 64, Max: 64}
	if err := unix.Prlimit(p.Cmd.Process.Pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatal(err)
	}
	// All 100 connected before any sends, so that the relayed ones hold
	// their descriptors at once, however slowly a loaded machine runs
	// the clients; some may be dropped with a logged dial error.
	hammerTogether(t, addr, 100)
	checkServingAndIdle(t, p, addr)
	if !strings.Contains(p.Stderr.String(), "too many open files") {
		t.Errorf("the limit was never hit: no EMFILE logged:\n%s", p.Stderr)
	}
	if n := strings.Count(p.Stderr.String(), "accept failing"); n > 20 {
		t.Errorf("accept errors logged %d times: want once per episode", n)
	}
}

// hammer runs n clients at once, each sending 4 KiB, half-closing and
// reading the echo; it returns how many did not get their bytes back.
func hammer(t *testing.T, addr string, n int) int {
	t.Helper()
	return hammerClients(t, addr, n, nil)
}

// hammerTogether is hammer with every client connected (up to 10 s)
// before any sends.
func hammerTogether(t *testing.T, addr string, n int) int {
	t.Helper()
	var dialed sync.WaitGroup
	dialed.Add(n)
	start := make(chan struct{})
	go func() {
		waited := make(chan struct{})
		go func() { dialed.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
		}
		close(start)
	}()
	return hammerClients(t, addr, n, func() { dialed.Done(); <-start })
}

// hammerClients runs the clients; each calls connected, when not nil,
// once its connection is up or failed.
func hammerClients(t *testing.T, addr string, n int, connected func()) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	failed := 0
	for i := 0; i < n; i++ {
		wg.Go(func() {
			if !echoOnce(addr, bytes.Repeat([]byte{byte(i)}, 4096), connected) {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return failed
}

func echoOnce(addr string, msg []byte, connected func()) bool {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if connected != nil {
		connected()
	}
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(msg); err != nil {
		return false
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	return err == nil && bytes.Equal(got, msg)
}

// checkServingAndIdle checks a new client is relayed and the process uses
// (almost) no CPU over the next second: no accept loop spinning.
func checkServingAndIdle(t *testing.T, p *redirProc, addr string) {
	t.Helper()
	if !echoOnce(addr, []byte("still serving"), nil) {
		t.Fatal("redir no longer relays after the file limit was hit")
	}
	time.Sleep(1500 * time.Millisecond) // let a backoff of up to 1 s run out
	before := cpuTicks(t, p.Cmd.Process.Pid)
	time.Sleep(time.Second)
	if used := cpuTicks(t, p.Cmd.Process.Pid) - before; used > 10 {
		t.Errorf("redir used %d clock ticks of CPU in an idle second: spinning", used)
	}
}

// cpuTicks is the process's user plus system time, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return ut + st
}
