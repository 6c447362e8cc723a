package main

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// childNofile is the descriptor limit a forwarder runs under: 10,000 idle
// connections fit in it only at two descriptors per connection. Where this
// process's hard limit is lower, forwarders get that (see idleGroup).
const childNofile = 20100

// restFds is what childNofile leaves beyond two descriptors for each of
// 10,000 connections: standard streams, listener, poller, pooled pipes. The
// "held" target allows the same spare under a lower limit.
const restFds = childNofile - 2*10000

// A forwarder is a command that listens on one loopback port and forwards
// to another.
type forwarder struct {
	name    string
	shown   string // the command line for the header
	nofile  uint64 // its RLIMIT_NOFILE
	version []string
	// argv is the command for one start; it may write a config file.
	argv func(listen, backend int) ([]string, error)
	// skip holds the measurements (by -only key) it sits out, and why.
	skip map[string]string
}

func redirForwarder(path string, nofile uint64) forwarder {
	return forwarder{name: "redir", shown: path + " -n -l none 127.0.0.1:PORT 127.0.0.1:BACKEND", nofile: nofile,
		version: []string{path, "-v"},
		argv: func(l, b int) ([]string, error) {
			return []string{path, "-n", "-l", "none", fmt.Sprintf("127.0.0.1:%d", l), fmt.Sprintf("127.0.0.1:%d", b)}, nil
		}}
}

// templateForwarder runs tmpl with its two %d filled in and split on blanks.
func templateForwarder(name, tmpl string, nofile uint64) forwarder {
	shown := strings.Replace(strings.Replace(tmpl, "%d", "PORT", 1), "%d", "BACKEND", 1)
	return forwarder{name: name, shown: shown, nofile: nofile, argv: func(l, b int) ([]string, error) {
		return strings.Fields(fmt.Sprintf(tmpl, l, b)), nil
	}}
}

// A child is a running forwarder.
type child struct {
	cmd    *exec.Cmd
	addr   *net.TCPAddr // where it listens
	exited chan struct{}
	stderr lockedBuffer
}

// start runs f forwarding to backend, limited to f.nofile descriptors,
// and returns once it accepts connections.
func (f forwarder) start(backend *net.TCPAddr) (*child, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	ch := &child{addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}, exited: make(chan struct{})}
	argv, err := f.argv(port, backend.Port)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	ch.cmd = exec.Command(argv[0], argv[1:]...)
	ch.cmd.Stdout, ch.cmd.Stderr = &ch.stderr, &ch.stderr
	ch.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := ch.cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	go func() { ch.cmd.Wait(); close(ch.exited) }()
	lim := unix.Rlimit{Cur: f.nofile, Max: f.nofile}
	if err := unix.Prlimit(ch.cmd.Process.Pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		ch.stop()
		return nil, fmt.Errorf("%s: prlimit: %w", f.name, err)
	}
	if err := ch.waitReady(5 * time.Second); err != nil {
		ch.stop()
		return nil, fmt.Errorf("%s: %w", f.name, err)
	}
	return ch, nil
}

// waitReady dials until the child accepts, it exits or timeout passes.
func (ch *child) waitReady(timeout time.Duration) error {
	end := time.Now().Add(timeout)
	for time.Now().Before(end) {
		c, err := net.DialTimeout("tcp", ch.addr.String(), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ch.exited:
			return fmt.Errorf("exited at start: %s", ch.output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("not accepting on %v after %v", ch.addr, timeout)
}

func (ch *child) pid() int { return ch.cmd.Process.Pid }

// alive says whether the child still runs, and if not what it said.
func (ch *child) alive() error {
	select {
	case <-ch.exited:
		return fmt.Errorf("forwarder exited during the measurement (%v): %s", ch.cmd.ProcessState, ch.output())
	default:
		return nil
	}
}

// stop kills the child's process group and waits for it.
func (ch *child) stop() {
	syscall.Kill(-ch.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-ch.exited:
	case <-time.After(5 * time.Second):
	}
}

// output is the start of what the child wrote, on one line.
func (ch *child) output() string {
	s := strings.Join(strings.Fields(ch.stderr.String()), " ")
	switch {
	case s == "":
		return "no output"
	case len(s) > 300:
		return s[:300] + "…"
	}
	return s
}

// freePort asks the kernel for a loopback port that is free right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// lockedBuffer keeps the first 4 KiB a child writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := 4096 - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
