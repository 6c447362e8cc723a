package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// TestJournaldInetdFileLine: under -i, where records go to journald and
// not to stderr, a start-up error caused by a config file's value names
// the file, line and key there, as it does on stderr without -i; and the
// client is closed, not kept waiting.
func TestJournaldInetdFileLine(t *testing.T) {
	j := testenv.StartJournald(t)
	conf := filepath.Join(t.TempDir(), "bad.conf")
	absent4, _ := absentAddrs(t)
	text := "# a bind address this host does not have\nbind = " + absent4 + "\ntarget = 127.0.0.1:9\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := runIn(t, j, nil, nil, "systemd-socket-activate", "--inetd", "--accept", "-l", addr, "-E", "GORACE",
		redirBin, "-i", "-I", "redir-jfile", "--config", conf)
	testenv.WaitListening(t, addr)
	c := dialRetry(t, addr)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil || strings.Contains(err.Error(), "timeout") {
		t.Errorf("client read %d bytes, %v; want the connection closed", n, err)
	}
	c.Close()
	e := j.Entry(t, "SYSLOG_IDENTIFIER=redir-jfile", "PRIORITY=3")
	want := conf + ":2: bind: -b " + absent4 + ": address not usable on this host"
	if msg, _ := e["MESSAGE"].(string); !strings.HasPrefix(msg, want) {
		t.Errorf("MESSAGE = %q, want it to start %q", e["MESSAGE"], want)
	}
	waitCount(t, p, "died with code 1", 1)
}
