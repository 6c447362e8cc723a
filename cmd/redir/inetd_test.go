package main

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// redir -i under the real openbsd-inetd, with tcpd: fds 0, 1 and 2 are
// all the client's socket there.

// TestInetdTCPWrappers is a nowait service behind tcpd: an allowed client
// is relayed byte-exact, at -l debug, with the records in syslog and not
// a byte of them to the client; a denied one gets no byte from the target,
// which never hears of it.
func TestInetdTCPWrappers(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 11))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	conf := fmt.Sprintf("%s stream tcp nowait root /usr/sbin/tcpd %s -i -l debug %s\n", addr, redirBin, tw.addr)
	s := testenv.StartSuperServer(t, map[string]string{
		"inetd.conf":  conf,
		"hosts.allow": "redir: 127.0.0.1\n",
		"hosts.deny":  "ALL: ALL\n",
	}, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	testenv.WaitListening(t, addr)
	denied := make(chan error, 1)
	go func() { denied <- testenv.DeniedClient(addr) }()
	tw.check(t, addr, nil, randomBytes(mib, 12))
	s.WaitSyslog(t, "relaying a connection from 127.0.0.1:", 1)
	s.WaitSyslog(t, "reason=eof", 1)
	s.WaitSyslog(t, "connection done, exiting", 1)
	select {
	case err := <-denied:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the denied client is still connected after 20s")
	}
	if n := tw.conns.Load(); n != 1 {
		t.Errorf("the target saw %d connections, want 1 (the allowed client's)", n)
	}
	if strings.Contains(s.Syslog.String(), "127.0.0.2") {
		t.Errorf("redir ran for the denied client")
	}
}

// TestInetdWait is a wait service: inetd passes its listening socket on
// fd 0 and waits for redir to exit before it watches the socket again.
// One redir serves every client until --exit-idle-time, then the next
// client starts a new one and is served too.
func TestInetdWait(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 21))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	conf := fmt.Sprintf("%s stream tcp wait root %s redir -i --exit-idle-time=0.5 -l info %s\n", addr, redirBin, tw.addr)
	s := testenv.StartSuperServer(t, map[string]string{"inetd.conf": conf}, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	testenv.WaitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(mib, 22))
	tw.check(t, addr, nil, randomBytes(mib, 23))
	s.WaitSyslog(t, "no connection for 500ms, exiting", 1)
	if n := strings.Count(s.Syslog.String(), "listening on "+addr); n != 1 {
		t.Fatalf("%d redirs started for two clients, want 1", n)
	}
	tw.check(t, addr, nil, randomBytes(mib, 24))
	s.WaitSyslog(t, "listening on "+addr, 2)
	s.WaitSyslog(t, "no connection for 500ms, exiting", 2)
}

// TestInetdUsageError: a bad command line under inetd, where stderr is
// the client's socket, sends the client nothing; the error goes to syslog.
func TestInetdUsageError(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	conf := fmt.Sprintf("%s stream tcp nowait root %s redir -i -l debug\n", addr, redirBin)
	s := testenv.StartSuperServer(t, map[string]string{"inetd.conf": conf}, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	testenv.WaitListening(t, addr)
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(c)
	if len(got) > 0 || err != nil {
		t.Errorf("client read %q, %v; want nothing, then EOF", got, err)
	}
	s.WaitSyslog(t, "missing argument: want [DST]:PORT with -i", 1)
}
