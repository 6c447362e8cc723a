package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
	"golang.org/x/sys/unix"
)

// redir's records in a real systemd-journald, started in a private mount
// namespace (its sockets on a tmpfs /run there, its files in the test's
// directory); redir runs in that namespace with nsenter, read back with
// journalctl -D.

// runIn runs name with args in journald's mount namespace, with stderr
// on stderr when it is not nil, else on a buffer.
func runIn(t *testing.T, j *testenv.Journald, stderr *os.File, env []string, name string, args ...string) *redirProc {
	t.Helper()
	cmd := j.Command(name, args...)
	cmd.Env = append(cmd.Env, env...)
	if stderr != nil {
		cmd.Stderr = stderr
	}
	return startCmd(t, cmd, name)
}

// relayOne relays one connection through the redir serving addr and
// returns the client's address.
func relayOne(t *testing.T, addr string) string {
	t.Helper()
	c := dialRetry(t, addr)
	roundTrip(t, c, "hello")
	client := c.LocalAddr().String()
	c.Close()
	return client
}

// TestJournaldRecords: redir -n -s with journald running sends each record
// there, one field per attribute, and nothing to stderr; journalctl finds
// a connection's record by its fields.
func TestJournaldRecords(t *testing.T) {
	j := testenv.StartJournald(t)
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := runIn(t, j, nil, nil, redirBin, "-n", "-s", "-l", "info", "-I", "redir-jtest", addr, backend)
	pid := strconv.Itoa(p.Cmd.Process.Pid)
	client := relayOne(t, addr)
	e := j.Entry(t, "SYSLOG_IDENTIFIER=redir-jtest", "REASON=eof", "CLIENT="+client)
	testenv.CheckFields(t, e, map[string]string{
		"PRIORITY": "6", "_TRANSPORT": "journal", "SYSLOG_PID": pid, "_PID": pid, "CONN": "1",
		"LOCAL": addr, "TARGET": backend, "BYTES_FROM_CLIENT": "5", "BYTES_FROM_TARGET": "5",
	})
	if d, err := time.ParseDuration(fmt.Sprint(e["DURATION"])); err != nil || d <= 0 || d > 10*time.Second {
		t.Errorf("DURATION = %q, want a duration", e["DURATION"])
	}
	testenv.CheckFields(t, j.Entry(t, "SYSLOG_IDENTIFIER=redir-jtest", "LOCAL="+addr, "PRIORITY=5"),
		map[string]string{"MESSAGE": "listening on " + addr + ", forwarding to " + backend, "TARGET": backend})
	p.stopOK(t)
	testenv.CheckFields(t, j.Entry(t, "SYSLOG_IDENTIFIER=redir-jtest", "MESSAGE=stopped"),
		map[string]string{"CONNECTIONS": "1", "BYTES_FROM_CLIENT": "5"})
	if s := p.Stderr.String(); s != "" {
		t.Errorf("records on stderr too:\n%s", s)
	}
}

// TestJournaldStream: redir -n whose stderr is the stream JOURNAL_STREAM
// names, as systemd's StandardError=journal makes it, sends its records
// to journald natively, with their fields, and nothing to that stderr.
func TestJournaldStream(t *testing.T) {
	j := testenv.StartJournald(t)
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "stream"), os.NewFile(uintptr(fds[1]), "stderr")
	t.Cleanup(func() { ours.Close() })
	var st unix.Stat_t
	if err := unix.Fstat(fds[1], &st); err != nil {
		t.Fatal(err)
	}
	stream := fmt.Sprintf("JOURNAL_STREAM=%d:%d", st.Dev, st.Ino)
	p := runIn(t, j, theirs, []string{stream}, redirBin, "-n", "-l", "info", "-I", "redir-jstream", addr, backend)
	theirs.Close()
	client := relayOne(t, addr)
	testenv.CheckFields(t, j.Entry(t, "SYSLOG_IDENTIFIER=redir-jstream", "CLIENT="+client),
		map[string]string{"_TRANSPORT": "journal", "REASON": "eof", "BYTES_FROM_TARGET": "5", "TARGET": backend})
	p.stopOK(t)
	ours.SetReadDeadline(time.Now().Add(5 * time.Second))
	if b, err := io.ReadAll(ours); err != nil || len(b) != 0 {
		t.Errorf("stderr got %q (%v), want nothing and EOF", b, err)
	}
}

// TestJournaldStreamOther: a JOURNAL_STREAM that names another stream
// than stderr (left over from a parent) does not count: records go to
// stderr, where -n sends them.
func TestJournaldStreamOther(t *testing.T) {
	j := testenv.StartJournald(t)
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := runIn(t, j, nil, []string{"JOURNAL_STREAM=1:1"}, redirBin, "-n", "-l", "info", "-I", "redir-jother", addr, backend)
	relayOne(t, addr)
	p.waitLog(t, "redir-jother[")
	p.waitLog(t, "reason=eof")
	p.stopOK(t)
	out, err := exec.Command("journalctl", "-D", j.Dir, "--all", "-o", "cat", "SYSLOG_IDENTIFIER=redir-jother").Output()
	if err != nil || len(out) != 0 {
		t.Errorf("journalctl: %v; records in the journal: %q", err, out)
	}
}

// TestJournaldInetd: redir -i logs to journald where it runs (here under
// systemd-socket-activate --inetd, in journald's namespace), and the
// client gets the target's bytes and nothing else, even at -l debug.
func TestJournaldInetd(t *testing.T) {
	j := testenv.StartJournald(t)
	tw := startTwoWay(t, randomBytes(64<<10, 21))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := runIn(t, j, nil, nil, "systemd-socket-activate", "--inetd", "--accept", "-l", addr, "-E", "GORACE",
		redirBin, "-i", "-l", "debug", "-I", "redir-jinetd", tw.addr)
	testenv.WaitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(64<<10, 22))
	testenv.CheckFields(t, j.Entry(t, "SYSLOG_IDENTIFIER=redir-jinetd", "REASON=eof"), map[string]string{
		"_TRANSPORT": "journal", "BYTES_FROM_CLIENT": "65536", "BYTES_FROM_TARGET": "65536", "TARGET": tw.addr,
	})
	j.Entry(t, "SYSLOG_IDENTIFIER=redir-jinetd", "PRIORITY=7", "CONNECTED=true") // the debug record
	waitCount(t, p, "died with code 0", 1)
	for _, line := range strings.Split(p.Stderr.String(), "\n") {
		if strings.HasPrefix(line, "redir: ") || strings.Contains(line, "redir-jinetd[") {
			t.Errorf("redir -i wrote to stderr: %q", line)
		}
	}
}
