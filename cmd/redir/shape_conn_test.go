package main

import (
	"bytes"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShapeBadValuesExit2 checks the values the issue names through the
// binary: exit status 2 and one line naming the value.
func TestShapeBadValuesExit2(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-m", "0", ":80", ":90"}, `redir: invalid -m/--max-bandwidth "0": want 1-9223372036854775807`},
		{[]string{"-m", "-1", ":80", ":90"}, `redir: invalid -m/--max-bandwidth "-1": want 1-9223372036854775807`},
		{[]string{"-o", "4", ":80", ":90"}, `redir: invalid -o/--wait-in-out "4": want 1-3`},
		{[]string{"-z", "100", ":80", ":90"}, `redir: invalid -z/--bufsize "100": want 256-16777216`},
	} {
		code, stdout, stderr := runRedir(t, tt.args...)
		if code != 2 || stdout != "" || stderr != tt.want+"\n" {
			t.Errorf("redir %q: exit %d, stdout %q, stderr %q; want 2, nothing, %q", tt.args, code, stdout, stderr, tt.want)
		}
	}
}

// TestShapeHalfClose checks that a client's half-close passes through the
// shaper both ways: the target sees EOF, and the reply arrives whole.
func TestShapeHalfClose(t *testing.T) {
	const reply = 100_000
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		if n, err := io.Copy(io.Discard, c); err != nil || n != 5 {
			return
		}
		io.CopyN(c, zeroes{}, reply)
	})
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-m", "10000000", "-w", "1", addr, backend)
	p.waitLog(t, "listening on")
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, "hello"); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	if n, err := io.Copy(io.Discard, c); err != nil || n != reply {
		t.Fatalf("after half-close: read %d bytes, %v; want %d and EOF", n, err, reply)
	}
}

// TestShapeIdleTimeout checks that -t still closes an idle shaped
// connection: the shaper keeps the copier's deadlines working.
func TestShapeIdleTimeout(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "-m", "8000", "-z", "256", "-t", "1", addr, backend)
	p.waitLog(t, "listening on")
	c := dialRetry(t, addr)
	roundTrip(t, c, "shaped") // 6 bytes: one packet, at once
	start := time.Now()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle shaped connection: read %d, %v; want EOF from the idle timeout", n, err)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("closed after %v, want -t 1", d)
	}
	p.waitLog(t, "idle timeout")
}

// TestShapeSlowerThanIdleTimeout checks that a packet the shaper holds
// back longer than -t is not taken for idleness, in either direction:
// here each 256-byte packet waits a second for -m 2048 under -t 0.5. Once
// the target stops sending, -t closes the connection as usual.
func TestShapeSlowerThanIdleTimeout(t *testing.T) {
	t.Parallel()
	const size = 4 * 256
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		io.CopyN(c, zeroes{}, size)
		io.Copy(io.Discard, c) // until redir closes
	})
	for _, o := range []string{"1", "3"} {
		addr := freeAddr(t, "127.0.0.1")
		p := startRedir(t, "-n", "-l", "info", "-m", "2048", "-z", "256", "-o", o, "-t", "0.5", addr, backend)
		p.waitLog(t, "listening on")
		c := dialRetry(t, addr)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		n, err := io.Copy(io.Discard, c)
		if err != nil || n != size {
			t.Errorf("-o %s: received %d bytes, %v; want all %d, then EOF from the idle timeout", o, n, err, size)
		}
		p.waitLog(t, "idle timeout")
	}
}

// TestShapeRandomWaitRoundTrips checks -w through the binary with only
// the way to the server shaped (-o 2): 200 one-byte round trips through
// an echo target that notes when each byte arrives. Each byte's way to
// the target takes its packet's random wait, 0 to 2×MSEC, and the way
// back none. Only bounds that a busy host cannot break, as load only
// lengthens the ways: the waits must add up to at least what 200 uniform
// draws do (five standard deviations below the mean), half of them or
// near it must take MSEC or more, and fewer than a tenth of the ways back
// may take MSEC, where a shaped way back would take it half the time. The
// waits' spread is shaper's TestRandomWaitBounds, which sees each draw.
func TestShapeRandomWaitRoundTrips(t *testing.T) {
	t.Parallel()
	const w, trips = 20 * time.Millisecond, 200
	arrived := make(chan time.Time, trips)
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		buf := make([]byte, 1)
		for range trips {
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			arrived <- time.Now()
			if _, err := c.Write(buf); err != nil {
				return
			}
		}
	})
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-w", "20", "-o", "2", addr, backend)
	p.waitLog(t, "listening on")
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(time.Minute)) // a hang guard only
	var there, back []time.Duration
	buf := make([]byte, 1)
	for range trips {
		start := time.Now()
		if _, err := c.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		end, at := time.Now(), <-arrived
		there, back = append(there, at.Sub(start)), append(back, end.Sub(at))
	}
	checkWaits(t, there, back, w)
}

// checkWaits checks TestShapeRandomWaitRoundTrips's ways there (shaped,
// each a uniform draw from 0..2w and the relaying) and back (unshaped).
func checkWaits(t *testing.T, there, back []time.Duration, w time.Duration) {
	t.Helper()
	n := float64(len(there))
	var sum time.Duration
	longThere, longBack := 0, 0
	for i := range there {
		sum += there[i]
		if there[i] >= w {
			longThere++
		}
		if back[i] >= w {
			longBack++
		}
	}
	sd := time.Duration(math.Sqrt(n) * float64(2*w) / math.Sqrt(12))
	least := time.Duration(n)*w - 5*sd
	t.Logf("ways there: %v in all (at least %v), %d of %.0f took %v or more; ways back: %d took %v or more",
		sum, least, longThere, n, w, longBack, w)
	if sum < least {
		t.Errorf("the shaped ways took %v in all, want at least %v: the waits are too short", sum, least)
	}
	if most := time.Duration(n) * 3 * w; sum > most {
		t.Errorf("the shaped ways took %v in all, want less than %v: the waits are far too long", sum, most)
	}
	if want := int(n/2 - 5*math.Sqrt(n)/2); longThere < want {
		t.Errorf("%d shaped ways took %v or more, want at least %d: the waits do not spread up to 2×%v", longThere, w, want, w)
	}
	if longBack >= int(n/10) {
		t.Errorf("%d unshaped ways back took %v or more, want fewer than %.0f: the unshaped direction waits", longBack, w, n/10)
	}
}

// TestShapeMemoryBounded checks that peers sending as fast as they can
// into a slow shaped connection do not make redir hold more and more: its
// resident memory after 3 s of it is what it was after 1 s, give or take
// 4 MiB. TCP's flow control holds the senders back, not redir's memory.
func TestShapeMemoryBounded(t *testing.T) {
	t.Parallel()
	const conns = 10
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		go io.Copy(io.Discard, c)
		io.CopyN(c, zeroes{}, 1<<40)
	})
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-m", "8000", addr, backend)
	p.waitLog(t, "listening on")
	for range conns {
		c := dialRetry(t, addr)
		go io.Copy(io.Discard, c)
		go io.CopyN(c, zeroes{}, 1<<40)
	}
	time.Sleep(time.Second)
	before := vmRSS(t, p.Cmd.Process.Pid)
	time.Sleep(2 * time.Second)
	after := vmRSS(t, p.Cmd.Process.Pid)
	t.Logf("redir's resident memory: %d KiB after 1 s, %d KiB after 3 s", before, after)
	if after > before+4<<10 {
		t.Errorf("redir's resident memory grew from %d KiB to %d KiB in 2 s", before, after)
	}
}

// vmRSS is a process's resident memory in KiB.
func vmRSS(t *testing.T, pid int) int {
	t.Helper()
	status, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			n, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// TestShapeOffKeepsSplice checks under strace that -z or -o alone leave
// the zero-copy path (splice) in place, with a notice that they do
// nothing, while -m moves the bytes through user space.
func TestShapeOffKeepsSplice(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		splice bool
		notice string
	}{
		{[]string{"-z", "8192", "-o", "1"}, true, "-o and -z shape nothing without -m or -w"},
		{[]string{"-m", "1000000000"}, false, "shaping both ways"},
	} {
		trace := filepath.Join(t.TempDir(), "strace")
		backend := startBackend(t, "127.0.0.1:0", echo)
		addr := freeAddr(t, "127.0.0.1")
		args := append([]string{"-f", "-qq", "-e", "trace=splice", "-o", trace, redirBin, "-n"}, tt.args...)
		p := startProc(t, "strace", append(args, addr, backend)...)
		p.waitLog(t, "listening on")
		p.waitLog(t, tt.notice)
		c := dialRetry(t, addr)
		roundTrip(t, c, strings.Repeat("spliced? ", 10000))
		c.Close()
		stopTraced(t, p)
		out, err := os.ReadFile(trace)
		if err != nil {
			t.Fatal(err)
		}
		if got := bytes.Contains(out, []byte("splice(")); got != tt.splice {
			t.Errorf("redir %q: splice calls %v, want %v; strace:\n%.2000s", tt.args, got, tt.splice, out)
		}
	}
}

// stopTraced ends the redir that strace runs with SIGTERM, by its pid,
// and waits for strace to exit with it.
func stopTraced(t *testing.T, p *redirProc) {
	t.Helper()
	tracer := strconv.Itoa(p.Cmd.Process.Pid)
	kids, err := os.ReadFile(filepath.Join("/proc", tracer, "task", tracer, "children"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(kids)))
	if err != nil {
		t.Fatalf("finding redir under strace: children %q", kids)
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("strace exit status %d, want 0 (redir's after SIGTERM)", code)
	}
}
