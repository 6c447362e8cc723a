// Package activation turns the sockets a process inherits into
// net.Listeners: those systemd passes with socket activation (LISTEN_FDS)
// and the one inetd passes on stdin (redir -i).
//
// A listening socket (systemd Accept=no, inetd wait) becomes a
// *net.TCPListener. A connected one (systemd Accept=yes, inetd nowait,
// systemd StandardInput=socket) becomes a ConnListener that yields that one
// connection. SO_ACCEPTCONN tells the two apart, never a flag. Anything but
// a TCP socket is an error naming the descriptor.
//
// It reads the environment and raw descriptors so that nothing else has
// to: the forwarding core only ever sees net.Listeners. It does not talk to
// systemd (no sd_notify) and does not log.
package activation

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
)

// ErrNotTCP is wrapped by the error for an inherited descriptor that is
// not a TCP socket.
var ErrNotTCP = errors.New("not a TCP socket")

// The variables systemd sets for socket activation, see sd_listen_fds(3).
const (
	envPID   = "LISTEN_PID"
	envFDs   = "LISTEN_FDS"
	envNames = "LISTEN_FDNAMES"
)

// firstFD is SD_LISTEN_FDS_START: systemd passes sockets from fd 3 up.
const firstFD = 3

// maxFDs bounds LISTEN_FDS, so that a wild value is an error rather than
// a walk through a million descriptors.
const maxFDs = 4096

// A Socket is one inherited socket, ready to serve.
type Socket struct {
	// Listener is a *net.TCPListener for a listening socket, a
	// *ConnListener for a connected one.
	Listener net.Listener
	// FD is the descriptor it came on: 3 and up from systemd, 0 from inetd.
	// Listener holds a duplicate; FD itself is closed (or, for 0, points
	// at /dev/null).
	FD int
	// Name is its LISTEN_FDNAMES entry (systemd's FileDescriptorName=),
	// "stdin" from inetd, "" when systemd gave no names.
	Name string
	// Connected says the socket was an accepted connection: Listener
	// yields it once.
	Connected bool
}

// env is the seam to the process environment, so tests can fake it.
type env struct {
	getenv   func(string) string
	unsetenv func(string) error
	pid      int
}

func osEnv() env {
	return env{getenv: os.Getenv, unsetenv: os.Unsetenv, pid: os.Getpid()}
}

// Activated says whether systemd passed sockets to this process:
// LISTEN_PID is this process and LISTEN_FDS is set. It changes nothing.
func Activated() bool { return osEnv().activated() }

func (e env) activated() bool {
	return e.getenv(envPID) == strconv.Itoa(e.pid) && e.getenv(envFDs) != ""
}

// Systemd returns the sockets systemd passed to this process, in order,
// or none when it passed none (LISTEN_PID is not this process). Either
// way LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from the
// environment, so that nothing started later takes them for its own. On
// error no socket is left open.
func Systemd() ([]Socket, error) {
	e := osEnv()
	n, names, err := e.listenFDs()
	if err != nil || n == 0 {
		return nil, err
	}
	return sockets(firstFD, names)
}

// listenFDs reads and then removes the activation variables: the number
// of sockets passed and one name each ("" when systemd gave none).
func (e env) listenFDs() (int, []string, error) {
	ours := e.activated()
	pid, fds, names := e.getenv(envPID), e.getenv(envFDs), e.getenv(envNames)
	for _, k := range []string{envPID, envFDs, envNames} {
		e.unsetenv(k)
	}
	if !ours {
		return 0, nil, nil
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 1 || n > maxFDs {
		return 0, nil, fmt.Errorf("activation: %s=%q (%s=%s): want a number of sockets, 1-%d", envFDs, fds, envPID, pid, maxFDs)
	}
	list := make([]string, n)
	if names != "" {
		list = strings.Split(names, ":")
		if len(list) != n {
			return 0, nil, fmt.Errorf("activation: %s=%q names %d sockets, %s=%d", envNames, names, len(list), envFDs, n)
		}
	}
	return n, list, nil
}

// sockets turns len(names) consecutive descriptors from first into
// Sockets holding duplicates, and closes the descriptors. On error it
// closes the listeners it made too and returns an error naming the
// descriptor.
func sockets(first int, names []string) ([]Socket, error) {
	defer func() {
		for i := range names {
			closeFD(first + i)
		}
	}()
	out := make([]Socket, 0, len(names))
	for i, name := range names {
		s, err := socketFromFD(first+i, name)
		if err != nil {
			for _, s := range out {
				s.Listener.Close()
			}
			return nil, fmt.Errorf("activation: %s: %w", describe(first+i, name), err)
		}
		out = append(out, s)
	}
	return out, nil
}

// describe names a descriptor in errors: `fd 3 "web"`, or `fd 3`.
func describe(fd int, name string) string {
	if name == "" {
		return "fd " + strconv.Itoa(fd)
	}
	return fmt.Sprintf("fd %d %q", fd, name)
}
