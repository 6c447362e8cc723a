package packaging

import (
	"strings"
	"testing"
	"time"
)

// e2eTransparent: an instance with transproxy = yes fails to start in the
// plain sandbox, saying what it lacks; with the shipped drop-in it holds
// CAP_NET_RAW and nothing else, and relays (on loopback the client's
// address is the one redir would use anyway: that the server sees it is
// cmd/redir's test, with namespaces and routing).
func e2eTransparent(t *testing.T, c *container) {
	conf := "listen = 127.0.0.1:8081\ntarget = " + backend + "\ntransproxy = yes\nloglevel = info\n"
	writeFile(t, c.path("/etc/redir/tp.conf"), conf, 0o644)
	c.run(t, "systemctl", "daemon-reload")
	if out, err := c.exec(60*time.Second, "systemctl", "start", "redir@tp.service"); err == nil {
		t.Fatalf("redir -p started without the transparent drop-in:\n%s", out)
	}
	c.run(t, "systemctl", "stop", "redir@tp.socket", "redir@tp.service")
	c.run(t, "systemctl", "reset-failed")
	log := c.run(t, "journalctl", "-o", "cat", "--no-pager", "-u", "redir@tp.service")
	if !strings.Contains(log, "needs CAP_NET_ADMIN or CAP_NET_RAW") {
		t.Errorf("the refused start's journal does not say what it lacks:\n%s", log)
	}

	dropIn := "/etc/systemd/system/redir@tp.service.d/transparent.conf"
	writeFile(t, c.path(dropIn), c.run(t, "cat", "/usr/share/doc/redir/examples/transparent.conf"), 0o644)
	c.run(t, "systemctl", "daemon-reload")
	c.run(t, "systemctl", "start", "redir@tp.socket")
	conn, err := c.dial("127.0.0.1:8081", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	local := conn.LocalAddr().String()
	if err := echoOver(conn, 1<<20, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(c.run(t, "systemctl", "show", "-P", "MainPID", "redir@tp.service"))
	status := c.run(t, "cat", "/proc/"+pid+"/status")
	if !strings.Contains(status, "\nCapEff:\t0000000000002000\n") || !strings.Contains(status, "\nCapBnd:\t0000000000002000\n") {
		t.Errorf("redir -p with the drop-in: want CAP_NET_RAW (0x2000) alone, effective and bounding:\n%s", status)
	}
	waitRecord(t, c, "redir@tp.service", map[string]string{"CLIENT": local, "REASON": "eof", "BYTES_FROM_TARGET": "1048576"})
}
