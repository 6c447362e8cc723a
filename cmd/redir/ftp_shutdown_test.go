package main

import (
	"bufio"
	"strings"
	"testing"
	"time"
)

// TestFTPShutdown: SIGTERM while a client holds a control connection
// with a data listener waiting: the drain timeout closes the control
// connection, which closes the listener, and redir exits 0.
func TestFTPShutdown(t *testing.T) {
	n := newFTPNet(t)
	n.startVsftpd(t, "198.51.100.2:21")
	p := n.startRedir(t, "-l", "debug", "--drain-timeout=1", "-f", "both", "192.0.2.1:2121", "198.51.100.2:21")
	c := nsDial(t, n.cli, "", "192.0.2.1:2121")
	c.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReader(c)
	for _, st := range []struct{ send, want string }{{"", "220"}, {"USER anonymous", "230"}, {"EPSV", "229"}} {
		if st.send != "" {
			if _, err := c.Write([]byte(st.send + "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		if got := readReply(t, rd); !strings.HasPrefix(got, st.want+" ") {
			t.Fatalf("%q: reply %q, want %s", st.send, got, st.want)
		}
	}
	p.waitLog(t, "ftp: data listener open")
	start := time.Now()
	p.stopOK(t)
	if d := time.Since(start); d < time.Second {
		t.Errorf("exited after %v, before the 1 s drain timeout", d)
	}
	p.waitLog(t, "ftp: data listener closed unused")
	p.waitLog(t, "reason=shutdown")
}
