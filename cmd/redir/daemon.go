package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// daemonEnv tells a re-executed redir that it is the background child, which
// descriptor is the ready pipe and which are its listening sockets:
// "parent=PID ready=FD listen=FD,FD,...". It is ours alone: LISTEN_FDS
// belongs to systemd.
const daemonEnv = "REDIR_DAEMON_CHILD"

// readyTimeout bounds the parent's wait for the child. The child has
// little to do before it is ready (adopt the sockets, open syslog), so
// running out means it is stuck.
const readyTimeout = 15 * time.Second

// readyWord is what the child writes on the ready pipe once it serves.
// Anything else it writes is its error message.
const readyWord = "ready"

// daemonChild is what the parent told the child through daemonEnv.
type daemonChild struct {
	ready  int   // write end of the ready pipe
	listen []int // listening sockets, in the order of the command line
}

// startDaemon re-executes redir in the background with the bound listeners
// lns, which it closes, and waits until the child is serving. The child
// gets a new session and /dev/null as stdin, stdout and stderr; it starts in
// the parent's working directory, so that a relative --config reads the
// same file, and moves to "/" once it has read its command line. The parent
// does not wait for it to end.
func startDaemon(argv []string, lns []net.Listener) error {
	defer closeAll(lns)
	files, err := listenerFiles(lns)
	if err != nil {
		return err
	}
	defer closeFiles(files)
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path:        "/proc/self/exe",
		Args:        argv,
		Env:         childEnv(os.Environ(), os.Getpid(), len(files)),
		Dir:         workDir(),
		ExtraFiles:  append([]*os.File{w}, files...),
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	w.Close() // the child holds the only write end now
	if err != nil {
		return fmt.Errorf("starting background process: %w", err)
	}
	return waitReady(r, cmd, readyTimeout)
}

// workDir is the working directory for the child: the parent's, or "/"
// when it cannot be read.
func workDir() string {
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "/"
}

// childEnv is env without any daemonEnv of its own, plus the one telling the
// child its descriptors: ExtraFiles start at 3, the ready pipe first.
func childEnv(env []string, parent, listeners int) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if !strings.HasPrefix(kv, daemonEnv+"=") {
			out = append(out, kv)
		}
	}
	fds := make([]string, listeners)
	for i := range fds {
		fds[i] = strconv.Itoa(4 + i)
	}
	return append(out, fmt.Sprintf("%s=parent=%d ready=3 listen=%s", daemonEnv, parent, strings.Join(fds, ",")))
}

// waitReady reads the ready pipe r until the child closes it. "ready" means
// it is serving; anything else is its error. A child that failed or hangs
// is killed and reaped so that nothing is left behind.
func waitReady(r *os.File, cmd *exec.Cmd, timeout time.Duration) error {
	r.SetReadDeadline(time.Now().Add(timeout))
	msg, err := io.ReadAll(io.LimitReader(r, 4096))
	text := strings.TrimSpace(string(msg))
	if err == nil && text == readyWord {
		cmd.Process.Release()
		return nil
	}
	cmd.Process.Kill()
	werr := cmd.Wait()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Errorf("background process not ready after %v", timeout)
	case text != "":
		return errors.New(text)
	case werr != nil:
		return fmt.Errorf("background process exited before it was ready: %w", werr)
	}
	return errors.New("background process exited before it was ready")
}

// daemonChildFromEnv parses daemonEnv's value v; nil when v is empty. ppid
// must be the parent named in v, so that a value left in a user's
// environment is an error rather than a reason to adopt random descriptors.
func daemonChildFromEnv(v string, ppid int) (*daemonChild, error) {
	if v == "" {
		return nil, nil
	}
	bad := fmt.Errorf("%s=%q: not set by a redir parent; unset it", daemonEnv, v)
	c := &daemonChild{ready: -1}
	parent := -1
	for _, field := range strings.Fields(v) {
		key, val, _ := strings.Cut(field, "=")
		var err error
		switch key {
		case "parent":
			parent, err = strconv.Atoi(val)
		case "ready":
			c.ready, err = strconv.Atoi(val)
		case "listen":
			c.listen, err = parseFDs(val)
		default:
			err = bad
		}
		if err != nil {
			return nil, bad
		}
	}
	if parent != ppid || c.ready < 3 || len(c.listen) == 0 {
		return nil, bad
	}
	return c, nil
}

func parseFDs(s string) ([]int, error) {
	var fds []int
	for _, f := range strings.Split(s, ",") {
		fd, err := strconv.Atoi(f)
		if err != nil || fd < 3 {
			return nil, fmt.Errorf("bad descriptor %q", f)
		}
		fds = append(fds, fd)
	}
	return fds, nil
}

// runDaemonChild is the background child: it adopts the listeners, sets up
// logging (syslog), reports "ready" or its error on the ready pipe and
// serves until SIGTERM or SIGINT.
func runDaemonChild(argv []string, c *daemonChild) int {
	setProcessName(argv[0])
	ready := os.NewFile(uintptr(c.ready), "ready")
	defer ready.Close()
	lns, err := fileListeners(c.listen)
	if err != nil {
		fmt.Fprint(ready, err.Error())
		return exitError
	}
	cfg, local, log, closeLog, err := setupDaemonChild(argv[1:])
	if err != nil {
		closeAll(lns)
		fmt.Fprint(ready, err.Error())
		return exitError
	}
	defer closeLog()
	signalReady := func() {
		io.WriteString(ready, readyWord)
		ready.Close()
	}
	if serve(cfg, local, lns, log, signalReady) != nil {
		return exitError
	}
	return exitOK
}

// setupDaemonChild reads the command line again (the parent checked it, so
// it parses the same) and opens the log destination.
func setupDaemonChild(args []string) (config, *net.TCPAddr, *slog.Logger, func(), error) {
	cfg, _, err := parseArgs(args, io.Discard)
	if err != nil {
		return cfg, nil, nil, nil, err
	}
	if err := os.Chdir("/"); err != nil { // hold no directory busy
		return cfg, nil, nil, nil, fmt.Errorf("chdir /: %w", err)
	}
	local, err := bindAddr(cfg.Bind)
	if err != nil { // the parent prints the text: locate it here
		return cfg, nil, nil, nil, locate(cfg.FileLines, err)
	}
	log, closeLog, err := newLogger(cfg, osLogDest(nil))
	return cfg, local, log, closeLog, err
}

// setProcessName names the child after argv[0] again: re-executing
// /proc/self/exe made its name "exe", which ps, pgrep and ss would show.
// Writing /proc/self/comm names the main thread, whatever thread runs this.
func setProcessName(argv0 string) {
	name := filepath.Base(argv0)
	if len(name) > 15 { // the kernel's limit, TASK_COMM_LEN - 1
		name = name[:15]
	}
	os.WriteFile("/proc/self/comm", []byte(name), 0)
}
