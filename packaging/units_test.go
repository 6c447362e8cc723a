package packaging

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The units, checked by systemd's own tools without a running systemd:
// systemd-analyze verify and security, on a scratch root laid out as the
// package installs it.

// Confs of instance "web": with two listen lines, and with none.
const (
	listenConf   = "listen = 8080\nlisten = [::1]:8081\ntarget = 127.0.0.1:80\n"
	noListenConf = "target = 127.0.0.1:80\n"
)

// unitRoot builds a root directory holding the units, the redir binary,
// conf as the conf of instance "web", the targets and slices systemd's
// default dependencies name (the host's), and the drop-ins given by path
// under /etc/systemd/system. It returns the root and a MANPATH holding the
// man pages, for verify's check of Documentation=.
func unitRoot(t *testing.T, conf string, dropIns map[string]string) (root, manpath string) {
	t.Helper()
	root = t.TempDir()
	unitDir := filepath.Join(root, "usr/lib/systemd/system")
	for _, u := range []string{"redir@.socket", "redir@.service"} {
		writeFile(t, filepath.Join(unitDir, u), readFile(t, filepath.Join("systemd", u)), 0o644)
	}
	for _, pattern := range []string{"*.target", "*.slice"} {
		host, _ := filepath.Glob(filepath.Join("/usr/lib/systemd/system", pattern))
		for _, p := range host {
			writeFile(t, filepath.Join(unitDir, filepath.Base(p)), readFile(t, p), 0o644)
		}
	}
	writeFile(t, filepath.Join(root, "usr/bin/redir"), readFile(t, redirBin), 0o755)
	writeFile(t, filepath.Join(root, "etc/redir/web.conf"), conf, 0o644)
	for path, text := range dropIns {
		writeFile(t, filepath.Join(root, "etc/systemd/system", path), text, 0o644)
	}
	manpath = t.TempDir()
	for _, page := range []string{"redir.1", "redir.conf.5"} {
		sect := "man" + page[len(page)-1:]
		writeFile(t, filepath.Join(manpath, sect, page), readFile(t, page), 0o644)
	}
	return root, manpath
}

// generatorBin builds redir-generator once, into the tests' directory.
var generatorBin = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(built.dir, "redir-generator")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/redir-generator").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("building redir-generator: %w\n%s", err, out)
	}
	return bin, nil
})

// generate runs redir-generator on root's /etc/redir, as systemd would,
// but writing into root's /etc/systemd/system: systemd-analyze --root
// reads no generator directory.
func generate(t *testing.T, root string) {
	t.Helper()
	bin, err := generatorBin()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "etc/systemd/system")
	cmd := exec.Command(bin, out, out, out)
	cmd.Env = append(os.Environ(), "REDIR_CONF_DIR="+filepath.Join(root, "etc/redir"))
	if msg, err := cmd.CombinedOutput(); err != nil || len(msg) != 0 {
		t.Fatalf("redir-generator: %v, output %q; want exit 0 and nothing", err, msg)
	}
}

// analyze runs systemd-analyze with args on root and returns its output
// and whether it exited 0.
func analyze(t *testing.T, root, manpath string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("systemd-analyze", append(args, "--root="+root)...)
	cmd.Env = append(os.Environ(), "MANPATH="+manpath, "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatal(err)
	}
	return string(out), err == nil
}

// TestUnitsVerify: systemd-analyze verify finds nothing to say about an
// instance, with the drop-in the generator writes for a conf with two
// listen lines and without or with the transparent-mode drop-in; the man
// pages Documentation= names exist.
func TestUnitsVerify(t *testing.T) {
	for name, dropIns := range map[string]map[string]string{
		"plain":       nil,
		"transparent": {"redir@web.service.d/transparent.conf": readFile(t, "systemd/transparent.conf")},
	} {
		t.Run(name, func(t *testing.T) {
			root, manpath := unitRoot(t, listenConf, dropIns)
			generate(t, root)
			out, ok := analyze(t, root, manpath, "verify", "redir@web.socket", "redir@web.service")
			if !ok || strings.TrimSpace(out) != "" {
				t.Errorf("systemd-analyze verify (exit 0: %v):\n%s", ok, out)
			}
		})
	}
}

// TestSocketWithoutListen: a conf with no listen line leaves the socket
// with no address, and systemd refuses it, saying why, rather than
// listening somewhere the conf does not say.
func TestSocketWithoutListen(t *testing.T) {
	root, manpath := unitRoot(t, noListenConf, nil)
	out, ok := analyze(t, root, manpath, "verify", "redir@web.socket")
	if ok || !strings.Contains(out, "Unit has no Listen setting") {
		t.Errorf("systemd-analyze verify on a socket without ListenStream= (exit 0: %v), want it refused:\n%s", ok, out)
	}
}

// TestServiceSecurity: systemd-analyze security --offline scores the
// service 1.1 at most (the issue asks for 1.5), and 1.4 at most with the
// transparent-mode drop-in, which adds CAP_NET_RAW and PrivateUsers=no.
func TestServiceSecurity(t *testing.T) {
	for _, c := range []struct {
		name      string
		dropIns   map[string]string
		threshold string
	}{
		{"plain", nil, "11"},
		{"transparent", map[string]string{"redir@web.service.d/transparent.conf": readFile(t, "systemd/transparent.conf")}, "14"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root, manpath := unitRoot(t, noListenConf, c.dropIns)
			out, ok := analyze(t, root, manpath, "security", "--offline=true", "--threshold="+c.threshold, "redir@web.service")
			if !ok {
				t.Errorf("systemd-analyze security scores redir@web.service above %s/10:\n%s", c.threshold, out)
			}
			if !strings.Contains(out, "Overall exposure level for redir@web.service") {
				t.Errorf("no score in systemd-analyze security's output:\n%s", out)
			}
		})
	}
}

// TestTransparentDropIn: the drop-in changes only what transparent mode
// needs: one capability, ambient, in the host's user namespace.
func TestTransparentDropIn(t *testing.T) {
	var settings []string
	for _, line := range strings.Split(readFile(t, "systemd/transparent.conf"), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			settings = append(settings, line)
		}
	}
	want := []string{"[Service]", "CapabilityBoundingSet=CAP_NET_RAW", "AmbientCapabilities=CAP_NET_RAW", "PrivateUsers=no"}
	if strings.Join(settings, "\n") != strings.Join(want, "\n") {
		t.Errorf("transparent.conf sets\n%s\nwant\n%s", strings.Join(settings, "\n"), strings.Join(want, "\n"))
	}
}
