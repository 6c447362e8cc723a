package testenv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// journaldPath is where Debian's systemd package puts journald.
const journaldPath = "/lib/systemd/systemd-journald"

// journaldScript runs in a private mount namespace: a tmpfs on /run (so
// journald's sockets are private), one on /var/log/journal when it exists
// (so nothing is stored there), the test's directory bound onto
// /run/log/journal, where journald then keeps its files.
const journaldScript = `set -e
exec >&2
mount -t tmpfs tmpfs /run
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
mkdir -p /run/log/journal
mount --bind "$1" /run/log/journal
exec ` + journaldPath

// A Journald is a real systemd-journald running in a mount namespace of
// its own, whose only process it is; the test's cleanup stops it.
type Journald struct {
	Pid int    // journald's, for nsenter
	Dir string // where it stores its files, for journalctl -D
}

// StartJournald starts journald, storing into a directory of the test's,
// and waits up to 5 s for its socket.
func StartJournald(t testing.TB) *Journald {
	t.Helper()
	RequireRoot(t)
	for _, tool := range []string{journaldPath, "journalctl", "unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%v: install Debian's systemd and util-linux packages", err)
		}
	}
	j := &Journald{Dir: t.TempDir()}
	p := Start(t, exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", journaldScript, "sh", j.Dir), "journald")
	t.Cleanup(func() { p.Stop(t) })
	j.Pid = p.Cmd.Process.Pid
	sock := fmt.Sprintf("/proc/%d/root/run/systemd/journal/socket", j.Pid)
	for range 250 {
		if fi, err := os.Stat(sock); err == nil && fi.Mode().Type() == os.ModeSocket {
			return j
		}
		select {
		case <-p.Done:
			t.Fatalf("journald exited: %v\n%s", p.Err, p.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %s after 5s\n%s", sock, p.Stderr)
	return nil
}

// Command returns a command that runs name with args in journald's mount
// namespace (through nsenter), with the test's environment in its Env.
func (j *Journald) Command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(j.Pid), "-m", "--", name}, args...)...)
	cmd.Env = os.Environ()
	return cmd
}

// Entry waits for an entry matching the journalctl matches (FIELD=value)
// and returns the last such.
func (j *Journald) Entry(t testing.TB, matches ...string) map[string]any {
	t.Helper()
	es := j.WaitEntries(t, func(es []map[string]any) bool { return len(es) > 0 }, matches...)
	return es[len(es)-1]
}

// WaitEntries polls up to 10 s for the entries matching the journalctl
// matches to satisfy done, and returns them, oldest first: journald
// stores records a little after it receives them.
func (j *Journald) WaitEntries(t testing.TB, done func([]map[string]any) bool, matches ...string) []map[string]any {
	t.Helper()
	for range 100 {
		if es := j.entries(t, matches); done(es) {
			return es
		}
		time.Sleep(100 * time.Millisecond)
	}
	out, _ := exec.Command("journalctl", "-D", j.Dir, "--all", "-o", "verbose", "-n", "20",
		"_TRANSPORT=journal", "_TRANSPORT=stdout", "_TRANSPORT=syslog").Output()
	t.Fatalf("the entries %q in the journal are not all there within 10s; it holds:\n%s", matches, out)
	return nil
}

// entries reads the entries matching matches once, with journalctl -o json.
func (j *Journald) entries(t testing.TB, matches []string) []map[string]any {
	t.Helper()
	out, err := exec.Command("journalctl", append([]string{"-D", j.Dir, "--all", "-o", "json"}, matches...)...).Output()
	if err != nil {
		t.Fatalf("journalctl: %v", err)
	}
	var es []map[string]any
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var e map[string]any
		if err := dec.Decode(&e); err == io.EOF {
			return es
		} else if err != nil {
			t.Fatalf("journalctl output: %v", err)
		}
		es = append(es, e)
	}
}

// CheckFields reports every field of want that entry (a journalctl -o
// json line) lacks or has with another value.
func CheckFields(t testing.TB, entry map[string]any, want map[string]string) {
	t.Helper()
	if entry == nil {
		t.Errorf("no entry with %.100q", want)
		return
	}
	for k, v := range want {
		if got, ok := entry[k].(string); !ok || got != v {
			t.Errorf("%s = %.200q, want %.200q", k, entry[k], v)
		}
	}
}
