package testenv

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// RequireRoot fails a test that needs root (unshare, mount, inetd's
// setuid): CI runs as root, so such a test must never skip there.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("this test needs root (namespaces, mounts, real daemons); run the suite as root, as test.sh does")
	}
}

// A Proc is a process a test started; the test's cleanup ends it.
type Proc struct {
	Cmd    *exec.Cmd
	Stderr *Buffer       // the process's stderr, unless Cmd came with one
	Done   chan struct{} // closed once the process has exited
	Err    error         // from Wait, once Done is closed
}

// Start starts cmd with its stderr on a Buffer unless cmd already has
// one. The cleanup kills it and, when the test failed, logs the buffer
// under label.
func Start(t testing.TB, cmd *exec.Cmd, label string) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, Stderr: new(Buffer), Done: make(chan struct{})}
	if cmd.Stderr == nil {
		cmd.Stderr = p.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.Err = cmd.Wait(); close(p.Done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.Done
		if t.Failed() {
			t.Logf("%s stderr:\n%s", label, p.Stderr)
		}
	})
	return p
}

// Stop ends the process with SIGTERM, and with SIGKILL (an error of the
// test) when it is still running 5 s later.
func (p *Proc) Stop(t testing.TB) {
	t.Helper()
	p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.Done:
	case <-time.After(5 * time.Second):
		t.Errorf("pid %d still running 5s after SIGTERM: killed", p.Cmd.Process.Pid)
		p.Cmd.Process.Kill()
		<-p.Done
	}
}
