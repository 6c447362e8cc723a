package systemd

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// notifySocket is a datagram socket standing where systemd's would, named
// by NOTIFY_SOCKET for the test.
func notifySocket(t *testing.T, name string) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", name)
	return c
}

// readNotes reads messages until n arrived or the time is up.
func readNotes(t *testing.T, c *net.UnixConn, n int, within time.Duration) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(within))
	for len(got) < n {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %q: %v", got, err)
		}
		got = append(got, string(buf[:k]))
	}
	return got
}

func newNotifier(t *testing.T) *Notifier {
	t.Helper()
	n, err := NewNotifier()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} {
		if v, ok := os.LookupEnv(k); ok {
			t.Errorf("%s=%s left in the environment", k, v)
		}
	}
	return n
}

func TestNotifyStates(t *testing.T) {
	c := notifySocket(t, filepath.Join(t.TempDir(), "notify"))
	n := newNotifier(t)
	if !n.Enabled() {
		t.Fatal("not enabled with NOTIFY_SOCKET set")
	}
	for _, err := range []error{n.Ready(), n.Status("2 open\n10 total"), n.Stopping(), n.Watchdog(), n.Notify("A=1", "B=2")} {
		if err != nil {
			t.Error(err)
		}
	}
	got := readNotes(t, c, 5, 5*time.Second)
	want := []string{"READY=1", "STATUS=2 open 10 total", "STOPPING=1", "WATCHDOG=1", "A=1\nB=2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNotifyAbstract(t *testing.T) {
	c := notifySocket(t, fmt.Sprintf("@redir-test-notify-%d-%d", os.Getpid(), time.Now().UnixNano()))
	n := newNotifier(t)
	if err := n.Ready(); err != nil {
		t.Fatal(err)
	}
	if got := readNotes(t, c, 1, 5*time.Second); got[0] != "READY=1" {
		t.Errorf("got %q, want READY=1", got)
	}
}

// TestNotifyNotUnderSystemd: no NOTIFY_SOCKET, no messages, no errors,
// even with a watchdog set.
func TestNotifyNotUnderSystemd(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	os.Unsetenv("NOTIFY_SOCKET")
	t.Setenv("WATCHDOG_USEC", "100000")
	n := newNotifier(t)
	var nilN *Notifier
	for _, n := range []*Notifier{n, nilN} {
		if n.Enabled() || n.WatchdogInterval() != 0 {
			t.Errorf("%v: enabled %v, watchdog %v", n, n.Enabled(), n.WatchdogInterval())
		}
		for _, err := range []error{n.Ready(), n.Status("x"), n.Stopping(), n.Watchdog()} {
			if err != nil {
				t.Error(err)
			}
		}
		done := make(chan struct{})
		go func() { Run(context.Background(), n, func() string { return "x" }, time.Millisecond); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Run waits with nothing to send")
		}
	}
}

func TestNotifyEnv(t *testing.T) {
	pid := strconv.Itoa(os.Getpid())
	tests := []struct {
		sock, usec, pid string
		dog             time.Duration
		err             string
	}{
		{"/run/x", "", "", 0, ""},
		{"/run/x", "3000000", "", 1500 * time.Millisecond, ""},
		{"@x", "3000000", pid, 1500 * time.Millisecond, ""},
		{"/run/x", "3000000", "1", 0, ""}, // another process is watched
		{"/run/x", "0", "", 0, ""},
		{"/run/x", "3s", "", 0, `WATCHDOG_USEC="3s"`},
		{"/run/x", "-1", "", 0, `WATCHDOG_USEC="-1"`},
		{"/run/x", "99999999999999999", "", 0, `WATCHDOG_USEC="99999999999999999"`},
		{"run/x", "", "", 0, `NOTIFY_SOCKET="run/x"`},
		{"vsock:2:999", "", "", 0, `NOTIFY_SOCKET="vsock:2:999"`},
	}
	for _, tt := range tests {
		t.Run(tt.sock+" "+tt.usec+" "+tt.pid, func(t *testing.T) {
			t.Setenv("NOTIFY_SOCKET", tt.sock)
			t.Setenv("WATCHDOG_USEC", tt.usec)
			t.Setenv("WATCHDOG_PID", tt.pid)
			n, err := NewNotifier()
			switch {
			case tt.err != "":
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("error %v, want one naming %s", err, tt.err)
				}
			case err != nil:
				t.Error(err)
			case n.WatchdogInterval() != tt.dog:
				t.Errorf("watchdog interval %v, want %v", n.WatchdogInterval(), tt.dog)
			}
			for _, k := range []string{"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"} {
				if _, ok := os.LookupEnv(k); ok {
					t.Errorf("%s left in the environment", k)
				}
			}
		})
	}
}

// TestRunPings: WATCHDOG=1 at half of WATCHDOG_USEC, STATUS= when it
// changes, until the context ends.
func TestRunPings(t *testing.T) {
	c := notifySocket(t, filepath.Join(t.TempDir(), "notify"))
	t.Setenv("WATCHDOG_USEC", "200000")
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	n := newNotifier(t)
	if n.WatchdogInterval() != 100*time.Millisecond {
		t.Fatalf("watchdog interval %v, want 100ms", n.WatchdogInterval())
	}
	var open atomic.Int64
	status := func() string { return fmt.Sprintf("%d open", open.Load()) }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() { Run(ctx, n, status, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	pings, statuses := readRun(t, c, start, &open)
	cancel()
	<-done
	if pings[0] > 90*time.Millisecond {
		t.Errorf("first ping after %v, want one at once", pings[0])
	}
	if mean := (pings[5] - pings[1]) / 4; mean < 70*time.Millisecond || mean > 200*time.Millisecond {
		t.Errorf("pings every %v on average (at %v), want about 100ms", mean, pings)
	}
	if fmt.Sprint(statuses) != fmt.Sprint([]string{"STATUS=0 open", "STATUS=3 open"}) {
		t.Errorf("statuses %q, want 0 open then 3 open, each once", statuses)
	}
	checkSilent(t, c)
}

// readRun reads what Run sends until six watchdog pings came: when each
// came, counted from start, and every status. After the second ping it
// sets open to 3, a change the statuses must show.
func readRun(t *testing.T, c *net.UnixConn, start time.Time, open *atomic.Int64) ([]time.Duration, []string) {
	t.Helper()
	var pings []time.Duration
	var statuses []string
	buf := make([]byte, 4096)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for len(pings) < 6 {
		k, err := c.Read(buf)
		if err != nil {
			t.Fatalf("after %d pings and %q: %v", len(pings), statuses, err)
		}
		switch m := string(buf[:k]); {
		case m == "WATCHDOG=1":
			pings = append(pings, time.Since(start))
			if len(pings) == 2 {
				open.Store(3)
			}
		case strings.HasPrefix(m, "STATUS="):
			statuses = append(statuses, m)
		default:
			t.Errorf("unexpected %q", m)
		}
	}
	return pings, statuses
}

// checkSilent is called once Run returned: what Run sent before it
// returned may still be queued; after that, more than two watchdog
// intervals pass in silence.
func checkSilent(t *testing.T, c *net.UnixConn) {
	t.Helper()
	buf := make([]byte, 4096)
	for range 100 {
		c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		if _, err := c.Read(buf); err != nil {
			break
		}
	}
	c.SetReadDeadline(time.Now().Add(250 * time.Millisecond))
	if k, err := c.Read(buf); err == nil {
		t.Errorf("%q sent after Run returned", buf[:k])
	}
}
