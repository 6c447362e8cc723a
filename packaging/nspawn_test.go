package packaging

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
	"golang.org/x/sys/unix"
)

// Debian 12 booted with systemd as PID 1 in systemd-nspawn, for the
// end-to-end test (see ../shared/REAL-COMPONENTS.md for why each flag).

// rootCache keeps built roots between runs on one machine, one directory
// per recipe; a missing or half-built one is built again.
const rootCache = "/var/cache/redir-e2e"

// debianRoot returns a Debian 12 root directory, built with mmdebstrap
// (about a minute) unless the cache has one for this recipe and mirror.
func debianRoot(t *testing.T) string {
	t.Helper()
	recipe := []string{"--variant=minbase", "--include=systemd,systemd-sysv,dbus,iproute2,procps", "bookworm"}
	mirror := aptMirror()
	sum := sha256.Sum256([]byte(strings.Join(append(recipe, mirror), "\n")))
	dir := filepath.Join(rootCache, hex.EncodeToString(sum[:8]))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err == nil {
		return filepath.Join(dir, "root")
	}
	tmp := fmt.Sprintf("%s.tmp%d", dir, os.Getpid())
	os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	args := append(append([]string{"-q"}, recipe...), filepath.Join(tmp, "root"), mirror)
	if out, err := exec.CommandContext(ctx, "mmdebstrap", args...).CombinedOutput(); err != nil {
		t.Fatalf("mmdebstrap %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	writeFile(t, filepath.Join(tmp, "complete"), strings.Join(append(recipe, mirror), " ")+"\n", 0o644)
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, "complete")); serr != nil {
			t.Fatal(err) // not another run's root: something is wrong
		}
	}
	return filepath.Join(dir, "root")
}

// aptMirror returns the Debian mirror apt uses here (deb.debian.org when
// it cannot tell).
func aptMirror() string {
	files, _ := filepath.Glob("/etc/apt/sources.list.d/*.sources")
	files = append(files, "/etc/apt/sources.list")
	re := regexp.MustCompile(`(?m)^(?:URIs:\s*|deb\s+(?:\[[^]]*\]\s+)?)(https?://\S+/debian)/?(?:\s|$)`)
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if m := re.FindSubmatch(b); m != nil {
			return string(m[1])
		}
	}
	return "http://deb.debian.org/debian"
}

// A container is a booted systemd-nspawn machine.
type container struct {
	name   string
	leader int // the container's systemd, as the host sees it
	out    *testenv.Buffer
}

// bootContainer boots root with a private network and an empty overlay
// over it, share bound read-only at /opt/x, and waits until systemd has
// finished starting up. The machine is shut down when the test ends.
func bootContainer(t *testing.T, root, share string) *container {
	t.Helper()
	c := &container{name: fmt.Sprintf("redir-e2e-%d", os.Getpid()), out: new(testenv.Buffer)}
	cmd := exec.Command("systemd-nspawn", "-b", "-D", root, "-M", c.name,
		"--register=no", "--keep-unit", "--console=read-only",
		"--volatile=overlay", "--private-network",
		"--capability=CAP_BPF,CAP_NET_ADMIN,CAP_PERFMON", "--system-call-filter=bpf",
		"--bind-ro="+share+":/opt/x")
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() { c.shutdown(t, cmd, exited) })
	c.leader = findChild(t, cmd.Process.Pid, "systemd", exited)
	state, err := c.waitBooted()
	if state != "running" {
		failed, _ := c.exec(30*time.Second, "systemctl", "--failed", "--no-legend")
		t.Logf("the container is %q (%v) after boot; failed units:\n%s", state, err, failed)
		if state != "degraded" {
			t.Fatalf("the container did not boot:\n%s", c.out)
		}
	}
	return c
}

// waitBooted waits up to 90 s for systemd to finish starting up, first
// for it to answer systemctl at all, and returns the system state.
func (c *container) waitBooted() (string, error) {
	deadline := time.Now().Add(90 * time.Second)
	for {
		state, err := c.exec(90*time.Second, "systemctl", "is-system-running", "--wait")
		state = strings.TrimSpace(state)
		// Before systemd listens, systemctl cannot connect, or says the
		// manager is offline.
		starting := state == "offline" || strings.Contains(state, "Failed to connect to bus")
		if !starting || time.Now().After(deadline) {
			return state, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// findChild waits up to 30 s for a child of pid named comm.
func findChild(t *testing.T, pid int, comm string, exited <-chan struct{}) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		stats, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, s := range stats {
			b, _ := os.ReadFile(s)
			// pid (comm) state ppid ...
			i := strings.LastIndexByte(string(b), ')')
			if i < 0 || !strings.HasSuffix(string(b[:i]), "("+comm) {
				continue
			}
			f := strings.Fields(string(b[i+1:]))
			if len(f) > 1 && f[1] == strconv.Itoa(pid) {
				child, _ := strconv.Atoi(filepath.Base(filepath.Dir(s)))
				return child
			}
		}
		select {
		case <-exited:
			t.Fatalf("systemd-nspawn exited before its %s started", comm)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("no %s under systemd-nspawn after 30s", comm)
	return 0
}

// shutdown powers the machine off (SIGTERM to nspawn), kills it after
// 30 s, and removes what nspawn leaves behind.
func (c *container) shutdown(t *testing.T, cmd *exec.Cmd, exited <-chan struct{}) {
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Errorf("the container was still up 30s after SIGTERM: killed")
		syscall.Kill(c.leader, syscall.SIGKILL) // the whole PID namespace
		cmd.Process.Kill()
		<-exited
	}
	os.RemoveAll(filepath.Join("/run/systemd/nspawn/propagate", c.name))
	if t.Failed() {
		t.Logf("container console:\n%s", c.out)
	}
}

// exec runs argv inside the container (every namespace of its systemd)
// and returns its output.
func (c *container) exec(timeout time.Duration, argv ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(c.leader), "-a"}, argv...)...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "SYSTEMD_PAGER=", "SYSTEMD_COLORS=0", "TERM=dumb"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	return string(out), err
}

// run is exec that fails the test when argv does.
func (c *container) run(t *testing.T, argv ...string) string {
	t.Helper()
	out, err := c.exec(60*time.Second, argv...)
	if err != nil {
		t.Fatalf("in the container: %v\n%s", err, out)
	}
	return out
}

// path is where the host sees the container's file.
func (c *container) path(name string) string {
	return fmt.Sprintf("/proc/%d/root%s", c.leader, name)
}

// dial connects to addr from inside the container's network namespace:
// the socket is made there, on a thread that moves in and back.
func (c *container) dial(addr string, timeout time.Duration) (*net.TCPConn, error) {
	runtime.LockOSThread()
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer self.Close()
	theirs, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", c.leader))
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer theirs.Close()
	if err := unix.Setns(int(theirs.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("entering the container's network: %w", err)
	}
	conn, dialErr := net.DialTimeout("tcp", addr, timeout)
	if err := unix.Setns(int(self.Fd()), unix.CLONE_NEWNET); err == nil {
		runtime.UnlockOSThread() // else the thread ends with this goroutine
	}
	if dialErr != nil {
		return nil, dialErr
	}
	return conn.(*net.TCPConn), nil
}

// waitListening waits up to 15 s for a listener on addr in the container.
func (c *container) waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := c.exec(10*time.Second, "ss", "-Hltn", "src", addr)
		if strings.TrimSpace(out) != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s in the container after 15s", addr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// journal returns the entries journalctl -o json prints for args.
func (c *container) journal(t *testing.T, args ...string) []map[string]any {
	t.Helper()
	out := c.run(t, append([]string{"journalctl", "-o", "json", "--no-pager"}, args...)...)
	var entries []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var e map[string]any
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			entries = append(entries, e)
		}
	}
	return entries
}
