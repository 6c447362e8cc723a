package activation

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Stdin returns the socket inetd passes on fd 0 (redir -i): connected for
// an inetd or xinetd "nowait" service and systemd's StandardInput=socket,
// listening for a "wait" service. Under inetd and xinetd, fds 1 and 2 are
// that same socket too: each of fds 0, 1 and 2 that is it is pointed at
// /dev/null, so that the Listener holds the only reference (closing it
// closes the connection) and nothing written to stdout or stderr can ever
// reach the client. A stdout or stderr that is something else is left
// alone.
func Stdin() (Socket, error) { return stdio(0, 1, 2) }

// stdio is Stdin for any descriptors, so that tests need not give theirs up.
func stdio(in int, outs ...int) (Socket, error) {
	s, err := socketFromFD(in, "")
	if err != nil {
		return Socket{}, fmt.Errorf("activation: fd %d (stdin): %w", in, err)
	}
	detach := []int{in}
	for _, fd := range outs {
		if sameFile(in, fd) {
			detach = append(detach, fd)
		}
	}
	if err := toDevNull(detach); err != nil {
		s.Listener.Close()
		return Socket{}, fmt.Errorf("activation: detaching stdio from the socket: %w", err)
	}
	return s, nil
}

// sameFile says whether descriptors a and b refer to the same file.
func sameFile(a, b int) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(a, &sa) != nil || unix.Fstat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}

// toDevNull points each of fds at /dev/null.
func toDevNull(fds []int) error {
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	for _, fd := range fds {
		if err := unix.Dup3(int(null.Fd()), fd, 0); err != nil {
			return os.NewSyscallError("dup3", err)
		}
	}
	return nil
}
