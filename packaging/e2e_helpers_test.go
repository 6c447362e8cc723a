package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Helpers of the end-to-end test: what it installs, waits for and reads.

// debianRedir returns Debian's redir 3.3 package, fetched with apt-get
// download into the user's cache directory the first time.
func debianRedir(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "redir-test", "redir-3.3")
	if debs, _ := filepath.Glob(filepath.Join(dir, "redir_3.3-*.deb")); len(debs) == 1 {
		return debs[0]
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", "rm -f *.deb && apt-get download -q redir=3.3-1 2>&1")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fetching Debian's redir 3.3 with apt-get download (run apt-get update first?): %v\n%s", err, out)
	}
	debs, _ := filepath.Glob(filepath.Join(dir, "redir_3.3-*.deb"))
	if len(debs) != 1 {
		t.Fatalf("apt-get download redir=3.3-1 left %q", debs)
	}
	return debs[0]
}

// buildEcho builds the backend, static, for the container.
func buildEcho(t *testing.T, out string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, "./testdata/echo")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the echo server: %v\n%s", err, b)
	}
}

// waitCount waits up to 60 s for n to reach want.
func waitCount(t *testing.T, n *atomic.Int64, want int64) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for n.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("only %d clients relayed after 60s, want %d", n.Load(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitState waits up to 15 s for the service's ActiveState.
func waitState(t *testing.T, c *container, want string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, _ := c.exec(10*time.Second, "systemctl", "show", "-P", "ActiveState", "redir@http.service")
		if strings.TrimSpace(out) == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redir@http.service is %q after 15s, want %q", strings.TrimSpace(out), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// matches reports whether entry has every field of want, as a string.
func matches(entry map[string]any, want map[string]string) bool {
	for k, v := range want {
		if str(entry[k]) != v {
			return false
		}
	}
	return true
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// dump shows journal entries, without journald's own fields, for errors.
func dump(entries []map[string]any) string {
	var b strings.Builder
	for _, e := range entries {
		for k, v := range e {
			if !strings.HasPrefix(k, "_") && !strings.HasPrefix(k, "__") {
				fmt.Fprintf(&b, "%s=%v ", k, v)
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// waitRecord waits up to 15 s for an entry of unit's journal with every
// field of want, and returns it.
func waitRecord(t *testing.T, c *container, unit string, want map[string]string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		entries := c.journal(t, "-u", unit)
		for _, e := range entries {
			if matches(e, want) {
				return e
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no record with %v in %s's journal after 15s:\n%s", want, unit, dump(entries))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
