package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDropInVerifies: systemd-analyze verify accepts the shipped units
// (packaging/systemd) with the drop-in the generator writes, and refuses
// the socket without it. The conf has a listen line with a %zone, which
// systemd 252 fails to parse ("Failed to parse address value"), and its
// path a '%', which systemd would read as a specifier ("Failed to resolve
// unit specifiers"): the generator leaves the one out and escapes the other.
func TestDropInVerifies(t *testing.T) {
	root := filepath.Join(t.TempDir(), "r%e")
	unitDir := filepath.Join(root, "usr/lib/systemd/system")
	copyFiles(t, unitDir, "../../packaging/systemd/redir@.socket", "../../packaging/systemd/redir@.service")
	host, _ := filepath.Glob("/usr/lib/systemd/system/*.target")
	slices, _ := filepath.Glob("/usr/lib/systemd/system/*.slice")
	copyFiles(t, unitDir, append(host, slices...)...)
	// Any executable will do for ExecStart=/usr/bin/redir.
	copyFiles(t, filepath.Join(root, "usr/bin"), generatorBin)
	if err := os.Rename(filepath.Join(root, "usr/bin/redir-generator"), filepath.Join(root, "usr/bin/redir")); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(root, "etc/redir")
	writeFiles(t, conf, map[string]string{
		"web.conf": "listen = 8080\nlisten = [fe80::1%eth0]:8081\nlisten = [::1]:8081\ntarget = 127.0.0.1:80\n",
	})

	if out, ok := verify(t, root); ok || !strings.Contains(out, "Unit has no Listen setting") {
		t.Fatalf("without the drop-in, verify (exit 0: %v) should refuse the socket:\n%s", ok, out)
	}
	// systemd-analyze --root reads no generator directory: the drop-in
	// goes where an administrator's would, with the same name.
	out := filepath.Join(root, "etc/systemd/system")
	code, stderr := runGenerator(t, conf, out, out, out)
	skipped := "redir-generator: skipping " + filepath.Join(conf, "web.conf") + ":2: listen: [fe80::1%eth0]:8081: "
	if code != 0 || !strings.HasPrefix(stderr, skipped) || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("generator: exit status %d, stderr %q; want 0 and one line starting %q", code, stderr, skipped)
	}
	dropIn, err := os.ReadFile(filepath.Join(out, "redir@web.socket.d", dropInName))
	if err != nil || !strings.Contains(string(dropIn), "/r%%e/etc/redir/web.conf\n") {
		t.Fatalf("drop-in (%v) should name the conf with its '%%' escaped:\n%s", err, dropIn)
	}
	if text, ok := verify(t, root); !ok || strings.TrimSpace(text) != "" {
		t.Errorf("systemd-analyze verify with the drop-in (exit 0: %v):\n%s", ok, text)
	}
}

// verify runs systemd-analyze verify on instance web in root.
func verify(t *testing.T, root string) (string, bool) {
	t.Helper()
	cmd := exec.Command("systemd-analyze", "verify", "--man=no", "--root="+root, "redir@web.socket", "redir@web.service")
	cmd.Env = append(os.Environ(), "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("systemd-analyze (package systemd) is needed: %v", err)
	}
	return string(out), err == nil
}

// copyFiles copies each file into dir, keeping its name and mode.
func copyFiles(t *testing.T, dir string, files ...string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}
