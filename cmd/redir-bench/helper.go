package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// helperArg re-runs this program as the echo backend of the idle test. The
// backend ends of 10,000 connections live in that process, so that they do
// not count against this one's descriptor limit (often 20,000 and not
// raisable without CAP_SYS_RESOURCE).
const helperArg = "-echo-backend"

// serveEchoBackend is the helper's main: it prints its port, echoes on every
// connection, and returns when its stdin closes (the parent went away).
func serveEchoBackend() error {
	ln, err := listenLoopback()
	if err != nil {
		return err
	}
	fmt.Println(addrOf(ln).Port)
	go func() {
		io.Copy(io.Discard, os.Stdin)
		ln.Close()
	}()
	acceptEach(ln, echoConn)
	return nil
}

// A helper is the running echo backend process.
type helper struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	addr  *net.TCPAddr
	done  chan struct{}
}

func startEchoHelper() (*helper, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	h := &helper{cmd: exec.Command(exe, helperArg), done: make(chan struct{})}
	h.cmd.Stderr = os.Stderr
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if h.stdin, err = h.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := h.cmd.Start(); err != nil {
		return nil, fmt.Errorf("echo backend: %w", err)
	}
	go func() { h.cmd.Wait(); close(h.done) }()
	line, err := bufio.NewReader(out).ReadString('\n')
	port, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		h.stop()
		return nil, fmt.Errorf("echo backend: no port (%q): %w", line, err)
	}
	h.addr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	return h, nil
}

// stop closes the helper's stdin and kills it if it has not gone in 5s.
func (h *helper) stop() {
	h.stdin.Close()
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		h.cmd.Process.Kill()
		<-h.done
	}
}
