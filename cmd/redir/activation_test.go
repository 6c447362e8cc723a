package main

import (
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// Socket activation with systemd's own systemd-socket-activate, which
// passes sockets exactly as systemd does.

const mib = 1 << 20

// startActivated runs systemd-socket-activate with args, then redir with
// redirArgs. Without --accept it execs redir on the first connection.
func startActivated(t *testing.T, args []string, redirArgs ...string) *redirProc {
	t.Helper()
	if _, err := exec.LookPath("systemd-socket-activate"); err != nil {
		t.Fatal("systemd-socket-activate (package systemd) is needed: ", err)
	}
	return startProc(t, "systemd-socket-activate", append(append(args, redirBin), redirArgs...)...)
}

// TestActivationListening is Accept=no with two sockets, IPv4 and IPv6,
// named: both are served by one redir, byte-exact each way.
func TestActivationListening(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 1))
	port := portFree(t, "127.0.0.1", "::1")
	v4, v6 := net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)
	p := startActivated(t, []string{"-l", v4, "-l", v6, "--fdname=a:b"}, "-l", "debug", tw.addr)
	testenv.WaitListening(t, v4)
	testenv.WaitListening(t, v6)
	tw.check(t, v4, nil, randomBytes(mib, 2))
	tw.check(t, v6, nil, randomBytes(mib, 3))
	for _, s := range []string{
		"inherited socket fd=3 local=" + v4 + " connected=false name=a",
		"inherited socket fd=4 local=" + v6 + " connected=false name=b",
		"listening on " + v4, "listening on " + v6,
	} {
		p.waitLog(t, s)
	}
	p.stopOK(t)
}

// TestActivationAccept is Accept=yes: one redir per connection, each
// relaying its connection and exiting 0 once it is done.
func TestActivationAccept(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 4))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := startActivated(t, []string{"--accept", "-l", addr}, "-l", "debug", tw.addr)
	testenv.WaitListening(t, addr)
	for i := range 2 {
		tw.check(t, addr, nil, randomBytes(mib, uint64(5+i)))
	}
	waitCount(t, p, "died with code 0", 2)
	for _, s := range []string{"connected=true", "relaying a connection from 127.0.0.1:", "connection done, exiting"} {
		if n := strings.Count(p.Stderr.String(), s); n != 2 {
			t.Errorf("%q %d times in stderr, want 2", s, n)
		}
	}
	if tw.conns.Load() != 2 {
		t.Errorf("target saw %d connections, want 2", tw.conns.Load())
	}
}

// TestActivationInetdStyle is systemd's StandardInput=socket (here
// --inetd): the connection on stdin and stdout, relayed by redir -i,
// which writes nothing anywhere but to the target and the client, even
// at -l debug.
func TestActivationInetdStyle(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 7))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := startActivated(t, []string{"--inetd", "--accept", "-l", addr}, "-i", "-l", "debug", tw.addr)
	testenv.WaitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(mib, 8))
	waitCount(t, p, "died with code 0", 1)
	// Lines from redir start "redir: " (errors) or hold "redir[PID]:"
	// (records); the rest is systemd-socket-activate's.
	for _, line := range strings.Split(p.Stderr.String(), "\n") {
		if strings.HasPrefix(line, "redir: ") || strings.Contains(line, "redir[") {
			t.Errorf("redir -i wrote to stderr: %q", line)
		}
	}
}

// waitCount waits up to 10 s for s to appear n times in p's stderr.
func waitCount(t *testing.T, p *redirProc, s string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(p.Stderr.String(), s) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%q not %d times in stderr after 10s:\n%s", s, n, p.Stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestActivationErrors: a passed socket that is not TCP, or a SRC given
// as well, ends redir with one line that says why, and no crash.
func TestActivationErrors(t *testing.T) {
	target := freeAddr(t, "127.0.0.1")
	tests := []struct {
		name string
		args func(tcp, unix string) ([]string, []string)
		code int
		want string
	}{
		{"unix socket", func(tcp, unix string) ([]string, []string) {
			return []string{"-l", tcp, "-l", unix, "--fdname=web:local"}, []string{target}
		}, 1, `redir: activation: fd 4 "local": not a TCP socket: a unix stream socket`},
		{"SRC given", func(tcp, _ string) ([]string, []string) {
			return []string{"-l", tcp}, []string{tcp, target}
		}, 2, "redir: too many arguments: want only [DST]:PORT under socket activation: SRC comes from the sockets systemd passes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tcp := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
			args, redirArgs := tt.args(tcp, filepath.Join(t.TempDir(), "s"))
			p := startActivated(t, args, redirArgs...)
			testenv.WaitListening(t, tcp)
			if c, err := net.Dial("tcp", tcp); err == nil { // starts redir
				c.Close()
			}
			if code := p.exitCode(t, 10*time.Second); code != tt.code {
				t.Fatalf("exit status %d, want %d", code, tt.code)
			}
			lines := strings.Split(strings.TrimSpace(p.Stderr.String()), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, tt.want) {
				t.Errorf("last line of stderr %q, want %q", last, tt.want)
			}
			if s := p.Stderr.String(); strings.Contains(s, "panic") || strings.Contains(s, "goroutine") {
				t.Errorf("stderr shows a crash:\n%s", s)
			}
		})
	}
}
