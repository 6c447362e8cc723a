package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// redir -i under the real openbsd-inetd, with tcpd: fds 0, 1 and 2 are
// all the client's socket there.

// superServer is inetd (or xinetd) running in the foreground in a private
// mount namespace where /etc/hosts.allow, /etc/hosts.deny and /run are the
// test's: tcpd reads the first two, and redir's syslog records reach
// /run/syslog (Go's log/syslog tries /var/run/syslog), a socket the test
// reads.
type superServer struct {
	dir    string
	proc   *redirProc
	syslog *lockedBuffer
}

// startSuperServer writes files (the hosts files and a config) into the
// test's directory, then runs argv in the namespace; in both, "DIR"
// stands for that directory.
func startSuperServer(t *testing.T, files map[string]string, argv ...string) *superServer {
	t.Helper()
	requireRoot(t)
	s := &superServer{dir: t.TempDir(), syslog: new(lockedBuffer)}
	for _, name := range []string{"hosts.allow", "hosts.deny"} {
		if _, ok := files[name]; !ok {
			files[name] = "" // both empty: tcpd lets everyone in
		}
	}
	for name, text := range files {
		text = strings.ReplaceAll(text, "DIR", s.dir)
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.listenSyslog(t)
	for i := range argv {
		argv[i] = strings.ReplaceAll(argv[i], "DIR", s.dir)
	}
	script := `mount --bind "$1/hosts.allow" /etc/hosts.allow && mount --bind "$1/hosts.deny" /etc/hosts.deny &&
		mount --bind "$1/run" /run && shift && exec "$@"`
	s.proc = startProc(t, "unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", s.dir}, argv...)...)
	return s
}

func (s *superServer) listenSyslog(t *testing.T) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(s.dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(s.dir, "run", "syslog"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 8192)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			s.syslog.Write(append(buf[:n:n], '\n'))
		}
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
		if t.Failed() {
			t.Logf("syslog:\n%s", s.syslog)
		}
	})
}

// waitSyslog waits up to 10 s for the syslog records to hold s n times.
func (s *superServer) waitSyslog(t *testing.T, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(s.syslog.String(), text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%q not %d times in syslog after 10s", text, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestInetdTCPWrappers is a nowait service behind tcpd: an allowed client
// is relayed byte-exact, at -l debug, with the records in syslog and not
// a byte of them to the client; a denied one gets no byte from the target,
// which never hears of it.
func TestInetdTCPWrappers(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 11))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	conf := fmt.Sprintf("%s stream tcp nowait root /usr/sbin/tcpd %s -i -l debug %s\n", addr, redirBin, tw.addr)
	s := startSuperServer(t, map[string]string{
		"inetd.conf":  conf,
		"hosts.allow": "redir: 127.0.0.1\n",
		"hosts.deny":  "ALL: ALL\n",
	}, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	waitListening(t, addr)
	denied := make(chan string, 1)
	go func() { denied <- deniedClient(addr) }()
	tw.check(t, addr, nil, randomBytes(mib, 12))
	s.waitSyslog(t, "relaying a connection from 127.0.0.1:", 1)
	s.waitSyslog(t, "reason=eof", 1)
	s.waitSyslog(t, "connection done, exiting", 1)
	select {
	case msg := <-denied:
		if msg != "" {
			t.Error(msg)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the denied client is still connected after 20s")
	}
	if n := tw.conns.Load(); n != 1 {
		t.Errorf("the target saw %d connections, want 1 (the allowed client's)", n)
	}
	if strings.Contains(s.syslog.String(), "127.0.0.2") {
		t.Errorf("redir ran for the denied client")
	}
}

// deniedClient connects from 127.0.0.2, which hosts.deny refuses, and
// reads until the connection ends; it returns what went wrong, or "".
func deniedClient(addr string) string {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "denied client: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second)) // tcpd holds it 5 s
	io.WriteString(c, "let me in")
	got, err := io.ReadAll(c)
	if len(got) > 0 {
		return fmt.Sprintf("denied client got %d bytes: %q", len(got), got[:min(64, len(got))])
	}
	if err != nil && strings.Contains(err.Error(), "timeout") {
		return "denied client: still connected after 15s"
	}
	return ""
}

// TestInetdWait is a wait service: inetd passes its listening socket on
// fd 0 and waits for redir to exit before it watches the socket again.
// One redir serves every client until --exit-idle-time, then the next
// client starts a new one and is served too.
func TestInetdWait(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 21))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	conf := fmt.Sprintf("%s stream tcp wait root %s redir -i --exit-idle-time=0.5 -l info %s\n", addr, redirBin, tw.addr)
	s := startSuperServer(t, map[string]string{"inetd.conf": conf}, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	waitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(mib, 22))
	tw.check(t, addr, nil, randomBytes(mib, 23))
	s.waitSyslog(t, "no connection for 500ms, exiting", 1)
	if n := strings.Count(s.syslog.String(), "listening on "+addr); n != 1 {
		t.Fatalf("%d redirs started for two clients, want 1", n)
	}
	tw.check(t, addr, nil, randomBytes(mib, 24))
	s.waitSyslog(t, "listening on "+addr, 2)
	s.waitSyslog(t, "no connection for 500ms, exiting", 2)
}

// TestInetdUsageError: a bad command line under inetd, where stderr is
// the client's socket, sends the client nothing; the error goes to syslog.
func TestInetdUsageError(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	conf := fmt.Sprintf("%s stream tcp nowait root %s redir -i -l debug\n", addr, redirBin)
	s := startSuperServer(t, map[string]string{"inetd.conf": conf}, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	waitListening(t, addr)
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if len(got) > 0 || err != nil {
		t.Errorf("client read %q, %v; want nothing, then EOF", got, err)
	}
	s.waitSyslog(t, "missing argument: want [DST]:PORT with -i", 1)
}
