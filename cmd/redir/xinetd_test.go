package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/redir-project/redir/internal/testenv"
)

// redir -i under the real xinetd, whose own libwrap reads hosts.allow and
// hosts.deny with the service's name. xinetd conflicts with openbsd-inetd
// as a package, so it runs unpacked from its .deb (apt-get download),
// kept in the user's cache directory between runs.

// TestXinetdTCPWrappers is TestInetdTCPWrappers under xinetd: fds 0, 1
// and 2 are the client's socket there too; a client libwrap refuses never
// starts redir.
func TestXinetdTCPWrappers(t *testing.T) {
	xinetd := testenv.Xinetd(t)
	tw := startTwoWay(t, randomBytes(mib, 31))
	port := portFree(t, "127.0.0.1")
	addr := net.JoinHostPort("127.0.0.1", port)
	conf := fmt.Sprintf(`defaults
{
	log_type = FILE DIR/xinetd.log
	log_on_failure = HOST
}
service redir
{
	type = UNLISTED
	socket_type = stream
	protocol = tcp
	wait = no
	user = root
	bind = 127.0.0.1
	port = %s
	server = %s
	server_args = -i -l debug %s
}
`, port, redirBin, tw.addr)
	s := testenv.StartSuperServer(t, map[string]string{
		"xinetd.conf": conf,
		"hosts.allow": "redir: 127.0.0.1\n",
		"hosts.deny":  "ALL: ALL\n",
	}, xinetd, "-f", "DIR/xinetd.conf", "-dontfork", "-pidfile", "DIR/xinetd.pid")
	testenv.WaitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(mib, 32))
	if err := testenv.DeniedClient(addr); err != nil {
		t.Error(err)
	}
	s.WaitSyslog(t, "relaying a connection from 127.0.0.1:", 1)
	s.WaitSyslog(t, "connection done, exiting", 1)
	log := filepath.Join(s.Dir, "xinetd.log")
	testenv.WaitFor(t, log, func() string { b, _ := os.ReadFile(log); return string(b) }, "FAIL: redir libwrap from=127.0.0.2", 1)
	if n := tw.conns.Load(); n != 1 {
		t.Errorf("the target saw %d connections, want 1 (the allowed client's)", n)
	}
}
