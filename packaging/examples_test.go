package packaging

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The inetd and xinetd examples, run as shipped by the real daemons with
// the real tcpd: only the port, the listening address (loopback here),
// the program's path and the target are substituted.

// exampleHosts returns the hosts.allow and hosts.deny lines the example's
// comments suggest, so that the test uses the advice it ships.
func exampleHosts(t *testing.T, text string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#\s+/etc/(hosts\.(?:allow|deny)):\s+(.*)$`).FindAllStringSubmatch(text, -1) {
		files[m[1]] = m[2] + "\n"
	}
	if len(files) != 2 {
		t.Fatalf("the example suggests %d hosts files, want hosts.allow and hosts.deny: %q", len(files), files)
	}
	return files
}

// substitute replaces each old with its new in text, failing the test when
// one is not there: the example must still say what the test expects.
func substitute(t *testing.T, text string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("the example no longer holds %q:\n%s", pairs[i], text)
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// superServer runs argv (inetd or xinetd in the foreground) in a private
// mount namespace where /etc/hosts.allow, /etc/hosts.deny and /run are
// the test's: tcpd reads the first two, and redir logs to the syslog
// socket in the last, which the test reads. It returns the records.
func superServer(t *testing.T, dir string, files map[string]string, argv ...string) *syncBuffer {
	t.Helper()
	requireRoot(t)
	for name, text := range files {
		writeFile(t, filepath.Join(dir, name), text, 0o644)
	}
	records := listenSyslog(t, filepath.Join(dir, "run"))
	script := `mount --bind "$1/hosts.allow" /etc/hosts.allow && mount --bind "$1/hosts.deny" /etc/hosts.deny &&
		mount --bind "$1/run" /run && shift && exec "$@"`
	cmd := exec.Command("unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", dir}, argv...)...)
	out := new(syncBuffer)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s:\n%s\nsyslog:\n%s", argv[0], out, records)
		}
	})
	return records
}

// listenSyslog serves dir/syslog (where Go's log/syslog looks, as
// /var/run/syslog) for any user, and returns what arrives.
func listenSyslog(t *testing.T, dir string) *syncBuffer {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "syslog")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o666); err != nil { // redir runs as nobody
		t.Fatal(err)
	}
	records := new(syncBuffer)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 8192)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			records.Write(append(buf[:n:n], '\n'))
		}
	}()
	t.Cleanup(func() { conn.Close(); <-done })
	return records
}

// syncBuffer is a bytes buffer for several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls up to 15 s for text in what s returns.
func waitFor(t *testing.T, what string, s func() string, text string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(s(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("%s does not say %q after 15s:\n%s", what, text, s())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deniedClient connects from 127.0.0.2, which the example's hosts.deny
// refuses, and reads until the connection ends (tcpd holds it 5 s); it
// returns what went wrong, or "".
func deniedClient(addr string) string {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return "denied client: " + err.Error()
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
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

// checkSuperServer relays through addr twice, byte-exact, and checks
// that a denied client gets nothing and never reaches redir.
func checkSuperServer(t *testing.T, addr string, records *syncBuffer) {
	t.Helper()
	waitListening(t, addr)
	echoCheck(t, addr, 1<<20)
	echoCheck(t, addr, 1000)
	if msg := deniedClient(addr); msg != "" {
		t.Error(msg)
	}
	waitFor(t, "syslog", records.String, "relaying a connection from 127.0.0.1:")
	if strings.Contains(records.String(), "127.0.0.2") {
		t.Errorf("redir ran for the denied client:\n%s", records)
	}
}

// TestInetdExample runs examples/inetd.conf under openbsd-inetd and tcpd.
func TestInetdExample(t *testing.T) {
	example := readFile(t, "examples/inetd.conf")
	target, port := startEcho(t), freePort(t)
	addr := "127.0.0.1:" + port
	conf := substitute(t, example, "\n8080\t", "\n"+addr+"\t", "/usr/bin/redir", redirBin, " 127.0.0.1:80\n", " "+target+"\n")
	dir := t.TempDir()
	files := exampleHosts(t, example)
	files["inetd.conf"] = conf
	records := superServer(t, dir, files, "/usr/sbin/inetd", "-i", filepath.Join(dir, "inetd.conf"))
	checkSuperServer(t, addr, records)
}

// TestXinetdExample runs examples/xinetd.redir under xinetd (unpacked
// from Debian's package: it conflicts with openbsd-inetd) and tcpd.
func TestXinetdExample(t *testing.T) {
	example := readFile(t, "examples/xinetd.redir")
	xinetd := xinetdBinary(t)
	target, port := startEcho(t), freePort(t)
	dir := t.TempDir()
	conf := substitute(t, example, "= 8080\n", "= "+port+"\n", "= 0.0.0.0\n", "= 127.0.0.1\n",
		"/usr/bin/redir", redirBin, " 127.0.0.1:80\n", " "+target+"\n")
	files := exampleHosts(t, example)
	files["xinetd.conf"] = "defaults\n{\n\tlog_type = FILE " + filepath.Join(dir, "xinetd.log") + "\n}\n" + conf
	records := superServer(t, dir, files, xinetd, "-f", filepath.Join(dir, "xinetd.conf"),
		"-dontfork", "-pidfile", filepath.Join(dir, "xinetd.pid"))
	checkSuperServer(t, "127.0.0.1:"+port, records)
}

// xinetdBinary returns an xinetd to run: the installed one, or one
// unpacked from Debian's package into a cache directory of its own (not
// cmd/redir's: its tests may be fetching theirs at the same time).
func xinetdBinary(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/xinetd"); err == nil {
		return "/usr/sbin/xinetd"
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "redir-test", "xinetd-packaging")
	bin := filepath.Join(dir, "root", "usr", "sbin", "xinetd")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `set -e; rm -rf root *.deb; apt-get download -q xinetd 2>&1; dpkg -x xinetd_*.deb root`)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fetching xinetd with apt-get download (run apt-get update first?): %v\n%s", err, out)
	}
	return bin
}
