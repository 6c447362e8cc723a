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
	"sync"
	"syscall"
	"time"
)

// helperArg re-runs this program as the backends' process. Client and
// server in one Go process hand off on one thread without a wake-up, which
// would flatter the direct figures; real peers are separate processes. It
// also keeps the backend ends of 10,000 idle connections off the client's
// descriptor limit (often 20,000 and not raisable without CAP_SYS_RESOURCE).
const helperArg = "-backends"

// serveBackends is the helper's main. It prints the ports of its discard,
// echo and reply servers on one line, answers each "count" line on in with
// the bytes the discard server has read, and returns when in closes.
func serveBackends(in io.Reader, out io.Writer) error {
	s, err := startServers()
	if err != nil {
		return err
	}
	defer s.close()
	fmt.Fprintln(out, portOf(s.discard), portOf(s.echo), portOf(s.reply))
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		if sc.Text() != "count" {
			return fmt.Errorf("unknown request %q", sc.Text())
		}
		fmt.Fprintln(out, s.received.Load())
	}
	return sc.Err()
}

// backends is the running helper process, as the measurements see it.
type backends struct {
	cmd                  *exec.Cmd
	in                   io.WriteCloser
	done                 chan struct{}
	discard, echo, reply *net.TCPAddr
	mu                   sync.Mutex // one request at a time on in and out
	out                  *bufio.Reader
}

func startBackends() (*backends, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	b := &backends{cmd: exec.Command(exe, helperArg), done: make(chan struct{})}
	b.cmd.Stderr = os.Stderr
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if b.in, err = b.cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := b.cmd.Start(); err != nil {
		return nil, fmt.Errorf("backends: %w", err)
	}
	go func() { b.cmd.Wait(); close(b.done) }()
	b.out = bufio.NewReader(out)
	if err := b.readPorts(); err != nil {
		b.close()
		return nil, fmt.Errorf("backends: %w", err)
	}
	return b, nil
}

func (b *backends) readPorts() error {
	line, err := b.out.ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) != 3 {
		return fmt.Errorf("no ports (%q): %v", line, err)
	}
	for i, p := range []**net.TCPAddr{&b.discard, &b.echo, &b.reply} {
		port, err := strconv.Atoi(f[i])
		if err != nil {
			return err
		}
		*p = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	}
	return nil
}

// received asks the helper how many bytes its discard server has read.
func (b *backends) received() (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, err := io.WriteString(b.in, "count\n"); err != nil {
		return 0, fmt.Errorf("backends: %w", err)
	}
	line, err := b.out.ReadString('\n')
	if err != nil {
		return 0, fmt.Errorf("backends: %w", err)
	}
	return strconv.ParseInt(strings.TrimSpace(line), 10, 64)
}

// close closes the helper's stdin and kills it if it has not gone in 5s.
func (b *backends) close() {
	b.in.Close()
	select {
	case <-b.done:
	case <-time.After(5 * time.Second):
		b.cmd.Process.Kill()
		<-b.done
	}
}
