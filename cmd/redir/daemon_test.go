package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redir-project/redir/systemd"
)

var subreaper struct {
	once sync.Once
	err  error
}

// becomeSubreaper makes this test process the parent of the daemons that
// the redir commands it runs leave behind, so that it can find them by
// their parent pid, stop them and reap them.
func becomeSubreaper(t *testing.T) {
	t.Helper()
	subreaper.once.Do(func() {
		const prSetChildSubreaper = 36
		if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
			subreaper.err = e
		}
	})
	if subreaper.err != nil {
		t.Fatalf("prctl(PR_SET_CHILD_SUBREAPER): %v", subreaper.err)
	}
}

// runBackground runs a redir command that should go to the background and
// returns its exit status and stderr. Cleanup stops every daemon it left,
// and fails the test unless each exited 0 on SIGTERM.
func runBackground(t *testing.T, args ...string) (int, string) {
	t.Helper()
	becomeSubreaper(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, redirBin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	t.Cleanup(func() {
		for _, pid := range daemonsOf(t, args[len(args)-2]) {
			if st := stopDaemon(pid); !st.Exited() || st.ExitStatus() != 0 {
				t.Errorf("daemon %d ended with status %#x after SIGTERM, want exit 0", pid, st)
			}
		}
	})
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// daemonsOf lists the live processes whose parent is this test process
// (as subreaper) and whose command line contains marker.
func daemonsOf(t *testing.T, marker string) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat := procStat(pid)
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if len(stat) > 1 && stat[1] == strconv.Itoa(os.Getpid()) &&
			bytes.Contains(cmdline, []byte(marker)) && bytes.HasPrefix(cmdline, []byte(redirBin+"\x00")) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// procStat returns the fields of /proc/PID/stat after the command name:
// state, ppid, pgrp, session, ...; nil when the process is gone.
func procStat(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	i := bytes.LastIndexByte(b, ')')
	if err != nil || i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// stopDaemon sends SIGTERM to a daemon this process has inherited, waits
// up to 10 s for it (SIGKILL after that) and reaps it.
func stopDaemon(pid int) syscall.WaitStatus {
	var st syscall.WaitStatus
	syscall.Kill(pid, syscall.SIGTERM)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if wpid, err := syscall.Wait4(pid, &st, syscall.WNOHANG, nil); wpid == pid || err != nil {
			return st
		}
		time.Sleep(10 * time.Millisecond)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	syscall.Wait4(pid, &st, 0, nil)
	return st
}

// servedInBackground runs redir args in the background and checks that
// the command returns 0 with nothing on stderr and that addr serves as
// soon as it has returned: no retry.
func servedInBackground(t *testing.T, addr, msg string, args ...string) {
	t.Helper()
	code, stderr := runBackground(t, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit status %d, stderr %q; want 0 and nothing", code, stderr)
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("connecting right after the command returned: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	roundTrip(t, c, msg)
}

func TestBackgroundStart(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	servedInBackground(t, addr, "served in the background", "-l", "none", addr, backend)
	pids := daemonsOf(t, addr)
	if len(pids) != 1 {
		t.Fatalf("found daemons %v, want exactly one", pids)
	}
	checkDaemonized(t, pids[0])
}

// checkDaemonized checks what a daemon owes its environment: its own
// session, "/" as its directory, no inherited terminal, a name that pgrep
// finds.
func checkDaemonized(t *testing.T, pid int) {
	t.Helper()
	dir := "/proc/" + strconv.Itoa(pid)
	if st := procStat(pid); len(st) < 4 || st[3] != strconv.Itoa(pid) {
		t.Errorf("daemon %d: session %v, want its own", pid, st)
	}
	if cwd, _ := os.Readlink(dir + "/cwd"); cwd != "/" {
		t.Errorf("daemon working directory %q, want /", cwd)
	}
	for _, fd := range []string{"0", "1", "2"} {
		if target, _ := os.Readlink(dir + "/fd/" + fd); target != "/dev/null" {
			t.Errorf("daemon fd %s is %q, want /dev/null", fd, target)
		}
	}
	if comm, _ := os.ReadFile(dir + "/comm"); strings.TrimSpace(string(comm)) != "redir" {
		t.Errorf("daemon process name %q, want redir", comm)
	}
}

func TestBackgroundBusyPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	addr := busy.Addr().String()
	code, stderr := runBackground(t, "-l", "none", addr, freeAddr(t, "127.0.0.1"))
	if code == 0 {
		t.Fatal("exit status 0 with the port in use")
	}
	checkOneLineError(t, stderr, addr, "address already in use")
	if pids := daemonsOf(t, addr); len(pids) != 0 {
		t.Errorf("processes %v left behind", pids)
	}
}

// TestBackgroundSyslog: in the background records go to journald or
// syslog. Without either the command must fail and say so rather than run
// with every record lost; with one it must serve.
func TestBackgroundSyslog(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	code, stderr := runBackground(t, addr, backend)
	w, err := dialSyslog("redir-test")
	if err == nil {
		w.Close()
	}
	if err == nil || systemd.JournalAvailable() {
		if code != 0 {
			t.Fatalf("journald or syslog is reachable, yet exit status %d: %s", code, stderr)
		}
		roundTrip(t, dialRetry(t, addr), "logged to syslog")
		return
	}
	if code != 1 {
		t.Fatalf("no syslog here, yet exit status %d", code)
	}
	checkOneLineError(t, stderr, "cannot reach syslog", "-l none")
	if pids := daemonsOf(t, addr); len(pids) != 0 {
		t.Errorf("processes %v left behind", pids)
	}
}

func TestStaleDaemonEnv(t *testing.T) {
	cmd := exec.Command(redirBin, "-n", freeAddr(t, "127.0.0.1"), "127.0.0.1:1")
	cmd.Env = append(os.Environ(), daemonEnv+"=parent=1 ready=3 listen=4")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("got %v, want exit status 1", err)
	}
	checkOneLineError(t, stderr.String(), daemonEnv)
}

func TestDaemonEnvRoundTrip(t *testing.T) {
	env := childEnv([]string{"A=1", daemonEnv + "=stale", "B=2"}, 4242, 2)
	if len(env) != 3 || env[0] != "A=1" || env[1] != "B=2" {
		t.Fatalf("childEnv kept or lost variables: %q", env)
	}
	v := strings.TrimPrefix(env[2], daemonEnv+"=")
	c, err := daemonChildFromEnv(v, 4242)
	if err != nil {
		t.Fatal(err)
	}
	if c.ready != 3 || len(c.listen) != 2 || c.listen[0] != 4 || c.listen[1] != 5 {
		t.Fatalf("parsed %+v from %q", c, v)
	}
	if c, err := daemonChildFromEnv("", 1); c != nil || err != nil {
		t.Fatalf("empty value: %v, %v", c, err)
	}
	for _, bad := range []string{v + " extra=1", "parent=4242 ready=3", "parent=4242 ready=1 listen=4", "parent=4242 ready=3 listen=x"} {
		if _, err := daemonChildFromEnv(bad, 4242); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := daemonChildFromEnv(v, 1); err == nil {
		t.Error("accepted a value naming another parent")
	}
}

// TestWaitReady runs stand-in children through the parent's side of the
// ready pipe: one that reports an error, one that dies silently, one that
// hangs.
func TestWaitReady(t *testing.T) {
	for _, tc := range []struct {
		name, script, want string
	}{
		{"ready", `printf ready >&3`, ""},
		{"error", `printf 'cannot reach syslog: boom' >&3; exit 1`, "cannot reach syslog: boom"},
		{"silent exit", `exit 3`, "exited before it was ready"},
		{"hang", `exec sleep 30`, "not ready after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd := exec.Command("/bin/sh", "-c", tc.script)
			cmd.ExtraFiles = []*os.File{w}
			err = cmd.Start()
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			pid := cmd.Process.Pid
			err = waitReady(r, cmd, 500*time.Millisecond)
			if tc.want == "" {
				var st syscall.WaitStatus
				syscall.Wait4(pid, &st, 0, nil) // released by waitReady; reap it here
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			if cmd.ProcessState == nil {
				t.Error("the failed child was not reaped")
			}
		})
	}
}
