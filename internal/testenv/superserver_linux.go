package testenv

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A SuperServer is inetd or xinetd running in the foreground in a private
// mount namespace where /etc/hosts.allow, /etc/hosts.deny and /run are
// the test's: tcpd (or xinetd's own libwrap) reads the first two, and
// redir's syslog records reach /run/syslog (Go's log/syslog tries
// /var/run/syslog), a socket the test reads.
type SuperServer struct {
	Dir    string  // the test's directory, holding the files and run/
	Proc   *Proc   // unshare, which becomes the super-server
	Syslog *Buffer // the records, one a line
}

// superScript binds the test's files over the system's, then runs argv.
const superScript = `exec >&2
mount --bind "$1/hosts.allow" /etc/hosts.allow && mount --bind "$1/hosts.deny" /etc/hosts.deny &&
	mount --bind "$1/run" /run && shift && exec "$@"`

// StartSuperServer writes files (the hosts files, empty unless given, so
// that tcpd lets everyone in, and a config) into a directory of the
// test's, then runs argv in the namespace; in both, "DIR" stands for that
// directory.
func StartSuperServer(t testing.TB, files map[string]string, argv ...string) *SuperServer {
	t.Helper()
	RequireRoot(t)
	s := &SuperServer{Dir: t.TempDir(), Syslog: new(Buffer)}
	for _, name := range []string{"hosts.allow", "hosts.deny"} {
		if _, ok := files[name]; !ok {
			files[name] = ""
		}
	}
	for name, text := range files {
		text = strings.ReplaceAll(text, "DIR", s.Dir)
		if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s.listenSyslog(t)
	args := []string{"-m", "--propagation", "private", "sh", "-c", superScript, "sh", s.Dir}
	for _, a := range argv {
		args = append(args, strings.ReplaceAll(a, "DIR", s.Dir))
	}
	s.Proc = Start(t, exec.Command("unshare", args...), argv[0])
	return s
}

// listenSyslog serves Dir/run/syslog for any user (redir may run as
// nobody) and keeps what arrives in Syslog, which the cleanup logs when
// the test failed.
func (s *SuperServer) listenSyslog(t testing.TB) {
	t.Helper()
	path := filepath.Join(s.Dir, "run", "syslog")
	if err := os.Mkdir(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go s.readSyslog(conn, done)
	t.Cleanup(func() {
		conn.Close()
		<-done
		if t.Failed() {
			t.Logf("syslog:\n%s", s.Syslog)
		}
	})
}

// readSyslog appends each datagram to Syslog as a line until conn is
// closed, then closes done.
func (s *SuperServer) readSyslog(conn *net.UnixConn, done chan<- struct{}) {
	defer close(done)
	buf := make([]byte, 8192)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return
		}
		s.Syslog.Write(append(buf[:n:n], '\n'))
	}
}

// WaitSyslog waits for the syslog records to hold text n times.
func (s *SuperServer) WaitSyslog(t testing.TB, text string, n int) {
	t.Helper()
	WaitFor(t, "syslog", s.Syslog.String, text, n)
}

// DeniedClient connects to addr from 127.0.0.2, which the tests'
// hosts.deny refuses, and reads until the connection ends (tcpd holds it
// 5 s); it returns what went wrong, or nil.
func DeniedClient(addr string) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("denied client: %w", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	io.WriteString(c, "let me in")
	got, err := io.ReadAll(c)
	if len(got) > 0 {
		return fmt.Errorf("denied client got %d bytes: %q", len(got), got[:min(64, len(got))])
	}
	if err != nil && strings.Contains(err.Error(), "timeout") {
		return errors.New("denied client: still connected after 15s")
	}
	return nil
}
