package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// redir -i under the real xinetd, whose own libwrap reads hosts.allow and
// hosts.deny with the service's name. xinetd conflicts with openbsd-inetd
// as a package, so it runs unpacked from its .deb (apt-get download),
// kept in the user's cache directory between runs.

// xinetdBinary returns the path of an xinetd to run: the installed one,
// or one unpacked from Debian's package.
func xinetdBinary(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/xinetd"); err == nil {
		return "/usr/sbin/xinetd"
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "redir-test", "xinetd")
	bin := filepath.Join(dir, "root", "usr", "sbin", "xinetd")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := `set -e; rm -rf root *.deb; apt-get download -q xinetd 2>&1; dpkg -x xinetd_*.deb root`
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fetching xinetd with apt-get download (run apt-get update first?): %v\n%s", err, out)
	}
	return bin
}

// TestXinetdTCPWrappers is TestInetdTCPWrappers under xinetd: fds 0, 1
// and 2 are the client's socket there too; a client libwrap refuses never
// starts redir.
func TestXinetdTCPWrappers(t *testing.T) {
	requireRoot(t)
	xinetd := xinetdBinary(t)
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
	s := startSuperServer(t, map[string]string{
		"xinetd.conf": conf,
		"hosts.allow": "redir: 127.0.0.1\n",
		"hosts.deny":  "ALL: ALL\n",
	}, xinetd, "-f", "DIR/xinetd.conf", "-dontfork", "-pidfile", "DIR/xinetd.pid")
	waitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(mib, 32))
	if msg := deniedClient(addr); msg != "" {
		t.Error(msg)
	}
	s.waitSyslog(t, "relaying a connection from 127.0.0.1:", 1)
	s.waitSyslog(t, "connection done, exiting", 1)
	waitFile(t, filepath.Join(s.dir, "xinetd.log"), "FAIL: redir libwrap from=127.0.0.2")
	if n := tw.conns.Load(); n != 1 {
		t.Errorf("the target saw %d connections, want 1 (the allowed client's)", n)
	}
}

// waitFile waits up to 10 s for the file to hold text.
func waitFile(t *testing.T, path, text string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not say %q after 10s:\n%s", path, text, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
