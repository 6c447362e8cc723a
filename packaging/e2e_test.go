package packaging

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// The end-to-end test: the .deb installed on Debian 12 booted with
// systemd as PID 1, one conf written, systemctl enable --now
// redir@http.socket, and clients relayed through it.

// backend is where the echo server listens in the container; the conf is
// the shipped example with this target, an IPv6 listener, records of
// every connection and a drain long enough to finish a transfer.
const backend = "127.0.0.1:9000"

func e2eConf(t *testing.T) string {
	return substitute(t, readFile(t, "examples/http.conf"),
		"target = 127.0.0.1:8080", "target = "+backend,
		"#listen = [::1]:8080", "listen = [::1]:8080",
		"#loglevel = info", "loglevel = info",
		"#drain-timeout = 5", "drain-timeout = 30")
}

func TestEndToEnd(t *testing.T) {
	testenv.RequireRoot(t)
	start := time.Now()
	deb, _ := packages(t)
	share := t.TempDir()
	buildEcho(t, filepath.Join(share, "echo"))
	writeFile(t, filepath.Join(share, "redir.deb"), readFile(t, deb), 0o644)
	writeFile(t, filepath.Join(share, "redir-3.3.deb"), readFile(t, debianRedir(t)), 0o644)
	root := debianRoot(t)
	t.Logf("packages, echo server and root ready after %v", time.Since(start).Round(time.Millisecond))
	c := bootContainer(t, root, share)
	t.Logf("booted after %v", time.Since(start).Round(time.Millisecond))

	// Debian's redir 3.3 first: the package replaces it.
	c.run(t, "dpkg", "-i", "/opt/x/redir-3.3.deb")
	c.run(t, "dpkg", "-i", "/opt/x/redir.deb")
	if v := c.run(t, "dpkg-query", "-W", "-f", "${Version}", "redir"); v != built.version+"-1" {
		t.Errorf("after dpkg -i over redir 3.3, dpkg has redir %q, want %s-1", v, built.version)
	}
	if v := c.run(t, "redir", "-v"); v != "redir "+built.version+"\n" {
		t.Errorf("after dpkg -i over redir 3.3, redir -v says %q", v)
	}
	c.run(t, "systemd-run", "--unit=e2e-echo", "/opt/x/echo", backend)
	writeFile(t, c.path("/etc/redir/http.conf"), e2eConf(t), 0o644)
	c.run(t, "systemctl", "enable", "--now", "redir@http.socket")
	c.waitListening(t, backend)
	c.waitListening(t, "[::1]:8080")
	dropIn := readFile(t, c.path("/run/systemd/generator/redir@http.socket.d/50-listen.conf"))
	if !strings.Contains(dropIn, "ListenStream=80\n") || !strings.Contains(dropIn, "ListenStream=[::1]:8080\n") {
		t.Errorf("the generator's drop-in:\n%s", dropIn)
	}

	t.Run("relay", func(t *testing.T) { e2eRelay(t, c) })
	t.Run("journal", func(t *testing.T) { e2eJournal(t, c) })
	t.Run("status", func(t *testing.T) { e2eStatus(t, c) })
	t.Run("sandbox", func(t *testing.T) { e2eSandbox(t, c) })
	t.Run("restart", func(t *testing.T) { e2eRestart(t, c) })
	t.Run("stop drains", func(t *testing.T) { e2eStopDrains(t, c) })
	t.Run("transparent", func(t *testing.T) { e2eTransparent(t, c) })
	t.Run("remove", func(t *testing.T) { e2eRemove(t, c) })
	t.Logf("done after %v", time.Since(start).Round(time.Millisecond))
}

// e2eRelay: a MiB each way, byte-exact, over IPv4 and IPv6.
func e2eRelay(t *testing.T, c *container) {
	for _, addr := range []string{"127.0.0.1:80", "[::1]:8080"} {
		conn, err := c.dial(addr, 10*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if err := echoOver(conn, 1<<20, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
}

// e2eJournal: the records of those connections, with their fields, in
// journalctl -o json -u redir@http.service.
func e2eJournal(t *testing.T, c *container) {
	e := waitRecord(t, c, "redir@http.service", map[string]string{
		"LOCAL": "127.0.0.1:80", "TARGET": backend, "REASON": "eof",
		"BYTES_FROM_CLIENT": "1048576", "BYTES_FROM_TARGET": "1048576",
		"SYSLOG_IDENTIFIER": "redir", "PRIORITY": "6",
	})
	if !strings.HasPrefix(str(e["CLIENT"]), "127.0.0.1:") || str(e["CONN"]) == "" || str(e["DURATION"]) == "" {
		t.Errorf("the record lacks CLIENT, CONN or DURATION:\n%s", dump([]map[string]any{e}))
	}
}

// e2eStatus: systemctl status shows redir's STATUS= line.
func e2eStatus(t *testing.T, c *container) {
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := c.exec(30*time.Second, "systemctl", "status", "--no-pager", "redir@http.service")
		if strings.Contains(out, `Status: "0 open, 2 total connections; 2097152 bytes from clients, 2097152 bytes from targets"`) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no STATUS line for the two connections after 15s:\n%s", out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// e2eSandbox: the redirector runs as a dynamic user with no capability.
func e2eSandbox(t *testing.T, c *container) {
	pid := strings.TrimSpace(c.run(t, "systemctl", "show", "-P", "MainPID", "redir@http.service"))
	status := c.run(t, "cat", "/proc/"+pid+"/status")
	for _, line := range strings.Split(status, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) < 2:
		case f[0] == "Uid:" && (f[1] == "0" || f[1] == "65534"):
			t.Errorf("redir (pid %s) runs as uid %s, want a dynamic user", pid, f[1])
		case (f[0] == "CapEff:" || f[0] == "CapPrm:" || f[0] == "CapBnd:") && f[1] != "0000000000000000":
			t.Errorf("redir (pid %s) has capabilities: %s", pid, line)
		case f[0] == "Seccomp:" && f[1] != "2":
			t.Errorf("redir (pid %s) runs without a seccomp filter: %s", pid, line)
		}
	}
}

// e2eRestart: clients connect one after another while the service is
// restarted twice, then once more by reinstalling the package (an upgrade,
// whose postinst restarts running instances); none is refused or cut,
// since the sockets stay with systemd.
func e2eRestart(t *testing.T, c *container) {
	l := startClientLoop(c, "127.0.0.1:80")
	waitCount(t, &l.ok, 20)
	pids := []string{mainPID(t, c)}
	for _, restart := range [][]string{
		{"systemctl", "restart", "redir@http.service"},
		{"systemctl", "restart", "redir@http.service"},
		{"dpkg", "-i", "/opt/x/redir.deb"}, // an upgrade: postinst restarts running instances
	} {
		c.run(t, restart...)
		pids = append(pids, mainPID(t, c))
		waitCount(t, &l.ok, l.ok.Load()+20)
	}
	failures := l.stop()
	if len(failures) > 0 {
		t.Errorf("%d of %d clients failed across the restarts:\n%s", len(failures), int(l.ok.Load())+len(failures), strings.Join(failures, "\n"))
	}
	for i := 1; i < len(pids); i++ {
		if pids[i] == pids[i-1] || pids[i] == "0" {
			t.Errorf("main PIDs across the restarts: %v, want a new one each time", pids)
		}
	}
	t.Logf("%d clients relayed across 2 restarts and an upgrade (main PIDs %v)", l.ok.Load(), pids)
}

// A clientLoop relays 4 KiB per client, one client after another (at
// most 5000, for at most two minutes), until stopped.
type clientLoop struct {
	ok       atomic.Int64
	failures []string // owned by the loop until done is closed
	quit     chan struct{}
	done     chan struct{}
}

func startClientLoop(c *container, addr string) *clientLoop {
	l := &clientLoop{quit: make(chan struct{}), done: make(chan struct{})}
	go l.run(c, addr)
	return l
}

func (l *clientLoop) run(c *container, addr string) {
	defer close(l.done)
	end := time.Now().Add(120 * time.Second)
	for i := 0; i < 5000 && time.Now().Before(end); i++ {
		select {
		case <-l.quit:
			return
		default:
		}
		conn, err := c.dial(addr, 10*time.Second)
		if err == nil {
			err = echoOver(conn, 4096, 30*time.Second)
		}
		if err != nil {
			l.failures = append(l.failures, fmt.Sprintf("client %d: %v", i, err))
			continue
		}
		l.ok.Add(1)
	}
}

// stop ends the loop and returns what failed.
func (l *clientLoop) stop() []string {
	close(l.quit)
	<-l.done
	return l.failures
}

func mainPID(t *testing.T, c *container) string {
	t.Helper()
	return strings.TrimSpace(c.run(t, "systemctl", "show", "-P", "MainPID", "redir@http.service"))
}

// e2eStopDrains: systemctl stop waits for an open transfer, which ends
// whole: redir stops accepting and lets it finish. The socket stays, and
// the next client starts the service again.
func e2eStopDrains(t *testing.T, c *container) {
	conn, err := c.dial("127.0.0.1:80", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	half := bytes.Repeat([]byte("0123456789abcdef"), 4<<10) // 64 KiB
	got := make([]byte, 2*len(half))
	if _, err := conn.Write(half); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(conn, got[:len(half)]); err != nil {
		t.Fatalf("the first half's echo: %v", err)
	}
	stopped := make(chan string, 1)
	go func() {
		out, err := c.exec(90*time.Second, "systemctl", "stop", "redir@http.service")
		stopped <- fmt.Sprintf("%v %s", err, out)
	}()
	waitState(t, c, "deactivating")
	time.Sleep(time.Second)
	select {
	case out := <-stopped:
		t.Fatalf("systemctl stop returned while a transfer was open: %s", out)
	default:
	}
	if _, err := conn.Write(half); err != nil {
		t.Fatalf("sending the second half during the drain: %v", err)
	}
	conn.CloseWrite()
	if n, err := io.ReadFull(conn, got[len(half):]); err != nil {
		t.Fatalf("the second half's echo during the drain: %d bytes, %v", n, err)
	}
	if !bytes.Equal(got, append(half, half...)) {
		t.Error("the echo of the transfer cut by systemctl stop differs from what was sent")
	}
	afterStop(t, c, stopped)
}

// afterStop checks that systemctl stop returns once the transfer ended,
// and that the next client starts the service again.
func afterStop(t *testing.T, c *container, stopped <-chan string) {
	select {
	case out := <-stopped:
		if !strings.HasPrefix(out, "<nil>") {
			t.Errorf("systemctl stop: %s", out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("systemctl stop still waiting 30s after the transfer ended")
	}
	if state, _ := c.exec(30*time.Second, "systemctl", "is-active", "redir@http.service"); strings.TrimSpace(state) != "inactive" {
		t.Errorf("after systemctl stop the service is %q", state)
	}
	next, err := c.dial("[::1]:8080", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := echoOver(next, 1000, 30*time.Second); err != nil {
		t.Errorf("the first client after systemctl stop: %v", err)
	}
	waitState(t, c, "active")
}

// e2eRemove: dpkg --purge stops every instance, sockets included, and
// systemd forgets the units.
func e2eRemove(t *testing.T, c *container) {
	c.run(t, "dpkg", "--purge", "redir")
	for _, u := range []string{"redir@http.socket", "redir@http.service", "redir@tp.socket", "redir@tp.service"} {
		if state, _ := c.exec(30*time.Second, "systemctl", "is-active", u); strings.TrimSpace(state) != "inactive" {
			t.Errorf("after dpkg --purge %s is %q", u, strings.TrimSpace(state))
		}
	}
	if out := c.run(t, "ss", "-Hltn"); strings.Contains(out, ":80 ") || strings.Contains(out, ":8080 ") || strings.Contains(out, ":8081 ") {
		t.Errorf("after dpkg --purge something still listens:\n%s", out)
	}
	if _, err := os.Stat(c.path("/run/systemd/generator/redir@http.socket.d")); err == nil {
		t.Error("after dpkg --purge the generator's drop-in is still there (no daemon-reload?)")
	}
}
