package main

import (
	"fmt"
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
	"golang.org/x/sys/unix"
)

// sd_notify, with a unixgram socket standing where systemd's would: what
// redir sends, in order, and from which process (SO_PASSCRED), as systemd
// takes notifications only from the unit's main process by default.

// note is one notification: the sender's pid and the message.
type note struct {
	pid  int
	text string
}

// notifySink is the test's NOTIFY_SOCKET.
type notifySink struct {
	path  string
	mu    sync.Mutex
	notes []note
}

// listenNotify makes a notify socket and points NOTIFY_SOCKET at it (with
// watchdog when not "") for the redir processes the test starts.
func listenNotify(t *testing.T, watchdog string) *notifySink {
	t.Helper()
	s := &notifySink{path: filepath.Join(t.TempDir(), "notify")}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	raw.Control(func(fd uintptr) { err = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1) })
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); s.read(c) }()
	t.Cleanup(func() {
		c.Close()
		<-done
		if t.Failed() {
			t.Logf("notifications: %s", s)
		}
	})
	t.Setenv("NOTIFY_SOCKET", s.path)
	if watchdog != "" {
		t.Setenv("WATCHDOG_USEC", watchdog)
	}
	return s
}

func (s *notifySink) read(c *net.UnixConn) {
	buf, oob := make([]byte, 4096), make([]byte, 256)
	for {
		n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
		if err != nil {
			return
		}
		pid := -1
		if msgs, err := unix.ParseSocketControlMessage(oob[:oobn]); err == nil && len(msgs) == 1 {
			if cred, err := unix.ParseUnixCredentials(&msgs[0]); err == nil {
				pid = int(cred.Pid)
			}
		}
		s.mu.Lock()
		s.notes = append(s.notes, note{pid, string(buf[:n])})
		s.mu.Unlock()
	}
}

func (s *notifySink) all() []note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]note(nil), s.notes...)
}

// wait waits up to 10 s for a notification after the first from that
// starts with prefix, and returns its index.
func (s *notifySink) wait(t *testing.T, from int, prefix string) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		notes := s.all()
		for i := from; i < len(notes); i++ {
			if strings.HasPrefix(notes[i].text, prefix) {
				return i
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q after notification %d within 10s: %s", prefix, from, s)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// String lists the notifications, runs of the same one from the same pid
// as one, counted: "pid 12: READY=1; pid 12: WATCHDOG=1 ×10; ...".
func (s *notifySink) String() string {
	var b strings.Builder
	notes := s.all()
	for i := 0; i < len(notes); {
		j := i + 1
		for j < len(notes) && notes[j] == notes[i] {
			j++
		}
		fmt.Fprintf(&b, "pid %d: %q", notes[i].pid, notes[i].text)
		if j-i > 1 {
			fmt.Fprintf(&b, " ×%d", j-i)
		}
		b.WriteString("; ")
		i = j
	}
	return b.String()
}

// count is how many notifications from index from on are exactly text.
func (s *notifySink) count(from int, text string) int {
	n := 0
	for _, x := range s.all()[from:] {
		if x.text == text {
			n++
		}
	}
	return n
}

// checkPIDs reports every notification not sent by pid.
func (s *notifySink) checkPIDs(t *testing.T, pid int) {
	t.Helper()
	for _, x := range s.all() {
		if x.pid != pid {
			t.Errorf("%q sent by pid %d, want %d (the main process)", x.text, x.pid, pid)
		}
	}
}

var statusRE = regexp.MustCompile(`^STATUS=\d+ open, \d+ total connections; \d+ bytes from clients, \d+ bytes from targets$`)

// checkNotifyLife drives a redir that notifies s and serves addr, relaying
// to an echo target, through its life: READY=1 once addr accepts
// connections, STATUS= with the counters (prior connections came before
// the test's two), WATCHDOG=1 every 100 ms (from WATCHDOG_USEC=200000),
// STOPPING=1 on SIGTERM and pings on while the open connection drains,
// then exit 0.
func checkNotifyLife(t *testing.T, s *notifySink, p *redirProc, addr string, prior int) {
	t.Helper()
	ready := s.wait(t, 0, "READY=1")
	c, err := net.DialTimeout("tcp", addr, 5*time.Second) // no retry: ready means serving
	if err != nil {
		t.Fatalf("connecting after READY=1: %v", err)
	}
	roundTrip(t, c, "hello")
	c.Close()
	roundTrip(t, dialRetry(t, addr), "stays open")
	// The first STATUS= comes at once, before the test's connections.
	first := s.all()[s.wait(t, 0, "STATUS=")].text
	if !statusRE.MatchString(first) || (prior == 0 && first != "STATUS=0 open, 0 total connections; 0 bytes from clients, 0 bytes from targets") {
		t.Errorf("first status %q", first)
	}
	s.wait(t, ready, fmt.Sprintf("STATUS=1 open, %d total connections; 5 bytes from clients, 5 bytes from targets", prior+2))
	if n := s.count(ready, "WATCHDOG=1"); n < 3 {
		t.Errorf("%d watchdog pings since READY=1, over a second or more; want one every 100ms", n)
	}
	p.signal(t, syscall.SIGTERM)
	stopping := s.wait(t, ready, "STOPPING=1")
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	if n := s.count(stopping, "WATCHDOG=1"); n < 3 {
		t.Errorf("%d watchdog pings during the 1s drain, want one every 100ms", n)
	}
	for _, text := range []string{"READY=1", "STOPPING=1"} {
		if n := s.count(0, text); n != 1 {
			t.Errorf("%s sent %d times, want once", text, n)
		}
	}
}

// TestNotifyForeground: redir -n under Type=notify is the main process.
func TestNotifyForeground(t *testing.T) {
	s := listenNotify(t, "200000")
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "--drain-timeout=1", addr, backend)
	checkNotifyLife(t, s, p, addr, 0)
	s.checkPIDs(t, p.Cmd.Process.Pid)
	if !strings.Contains(p.Stderr.String(), "reason=shutdown") {
		t.Errorf("the open connection was not cut at the drain timeout:\n%s", p.Stderr)
	}
}

// TestNotifyActivation: under socket activation (Accept=no), the same.
// systemd-socket-activate passes only the variables named with -E; it
// execs redir, whose pid is its own.
func TestNotifyActivation(t *testing.T) {
	s := listenNotify(t, "200000")
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := startActivated(t, []string{"-l", addr, "-E", "NOTIFY_SOCKET", "-E", "WATCHDOG_USEC", "-E", "GORACE"},
		"--drain-timeout=1", backend)
	testenv.WaitListening(t, addr)
	if c, err := net.Dial("tcp", addr); err == nil { // starts redir
		c.Close()
	}
	checkNotifyLife(t, s, p, addr, 1)
	s.checkPIDs(t, p.Cmd.Process.Pid)
}

// TestNotifyBackground: the background child notifies, not the parent,
// which exits once the child is ready.
func TestNotifyBackground(t *testing.T) {
	s := listenNotify(t, "")
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	if code, stderr := runBackground(t, "-l", "none", addr, backend); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr)
	}
	pids := daemonsOf(t, addr)
	if len(pids) != 1 {
		t.Fatalf("daemons %v, want one", pids)
	}
	s.wait(t, 0, "READY=1")
	if st := stopDaemon(pids[0]); !st.Exited() || st.ExitStatus() != 0 {
		t.Fatalf("daemon ended with status %#x after SIGTERM, want exit 0", st)
	}
	s.wait(t, 0, "STOPPING=1")
	s.checkPIDs(t, pids[0])
}

// TestNotifyMalformed: a NOTIFY_SOCKET that is neither a path nor an
// abstract name is a warning, not a reason not to serve.
func TestNotifyMalformed(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "relative/path")
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", addr, backend)
	p.waitLog(t, "WARN not notifying systemd: systemd: NOTIFY_SOCKET=\"relative/path\"")
	c := dialRetry(t, addr)
	roundTrip(t, c, "served anyway")
	c.Close()
	p.stopOK(t)
}

// TestNotifyExitIdle: a redirector that exits for --exit-idle-time says
// STOPPING=1 too, before it exits 0.
func TestNotifyExitIdle(t *testing.T) {
	s := listenNotify(t, "")
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := startActivated(t, []string{"-l", addr, "-E", "NOTIFY_SOCKET", "-E", "GORACE"}, "--exit-idle-time=0.3", backend)
	testenv.WaitListening(t, addr)
	if c, err := net.Dial("tcp", addr); err == nil { // starts redir
		c.Close()
	}
	ready := s.wait(t, 0, "READY=1")
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	s.wait(t, ready, "STOPPING=1")
	s.checkPIDs(t, p.Cmd.Process.Pid)
}
