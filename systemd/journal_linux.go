package systemd

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// journalConn sends entries from an unbound datagram socket to journald's
// path, as sd_journal_send(3) does: each send names the path, so a
// restarted journald is found again without reconnecting.
//
// The socket is blocking with SO_SNDTIMEO, so that one send waits at most
// the timeout while journald's queue is full, however many goroutines
// send at once. (A socket in Go's poller would share one write deadline
// among all senders, and a sender could wait as long as others keep
// coming.) github.com/coreos/go-systemd/v22/journal is not used: it has
// no send timeout, writes to stderr on a bad field name (fatal under
// inetd, where stderr is the client) and puts large entries in an
// unsealed /dev/shm file rather than a sealed memfd.
type journalConn struct {
	mu      sync.RWMutex // held for reading while sending, for writing by close
	fd      int          // -1 once closed
	path    string
	timeout time.Duration
}

var errClosed = errors.New("handler closed")

func dialJournal(path string, timeout time.Duration) (*journalConn, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("SO_SNDTIMEO: %w", err)
	}
	return &journalConn{fd: fd, path: path, timeout: timeout}, nil
}

// send sends one encoded entry: in one datagram when it fits, else in a
// sealed memfd passed with SCM_RIGHTS, which journald reads whole.
func (c *journalConn) send(entry []byte) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.fd < 0 {
		return errClosed
	}
	err := c.sendmsg(entry, nil)
	if !errors.Is(err, unix.EMSGSIZE) && !errors.Is(err, unix.ENOBUFS) {
		return err
	}
	mfd, err := sealedMemfd(entry)
	if err != nil {
		return err
	}
	defer unix.Close(mfd)
	return c.sendmsg(nil, unix.UnixRights(mfd))
}

func (c *journalConn) sendmsg(p, oob []byte) error {
	// SO_SNDTIMEO makes a signal end the wait with EINTR rather than
	// restart it: retry then, but not past the timeout.
	deadline := time.Now().Add(c.timeout)
	for {
		// A fresh address each time: sendmsg writes into it.
		to := &unix.SockaddrUnix{Name: c.path}
		_, err := unix.SendmsgN(c.fd, p, oob, to, unix.MSG_NOSIGNAL)
		if err == nil {
			return nil
		}
		if err != unix.EINTR || time.Now().After(deadline) {
			return &os.SyscallError{Syscall: "sendmsg " + c.path, Err: err}
		}
	}
}

// sealedMemfd returns a memfd holding entry, sealed against any change as
// journald requires of a memfd it is passed.
func sealedMemfd(entry []byte) (int, error) {
	fd, err := unix.MemfdCreate("journal-entry", unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return -1, &os.SyscallError{Syscall: "memfd_create", Err: err}
	}
	for p := entry; len(p) > 0; {
		n, err := unix.Write(fd, p)
		if err != nil && err != unix.EINTR {
			unix.Close(fd)
			return -1, &os.SyscallError{Syscall: "write memfd", Err: err}
		}
		p = p[max(n, 0):]
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_ADD_SEALS, seals); err != nil {
		unix.Close(fd)
		return -1, &os.SyscallError{Syscall: "seal memfd", Err: err}
	}
	return fd, nil
}

func (c *journalConn) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fd < 0 {
		return nil
	}
	err := unix.Close(c.fd)
	c.fd = -1
	return err
}

// JournalAvailable reports whether journald's socket exists.
func JournalAvailable() bool {
	fi, err := os.Stat(JournalSocket)
	return err == nil && fi.Mode().Type() == os.ModeSocket
}

// JournalStream reports whether stderr is connected to the journal:
// systemd sets JOURNAL_STREAM to the device and inode of the stream it
// connects to a service's stderr, and stderr is still that stream. Then
// records are better sent over the native protocol, with their fields.
func JournalStream() bool { return journalStream(os.Getenv("JOURNAL_STREAM"), 2) }

// journalStream reports whether fd is the stream that value ("DEV:INO",
// as in JOURNAL_STREAM) names.
func journalStream(value string, fd int) bool {
	devs, inos, ok := strings.Cut(value, ":")
	if !ok {
		return false
	}
	dev, err1 := strconv.ParseUint(devs, 10, 64)
	ino, err2 := strconv.ParseUint(inos, 10, 64)
	var st unix.Stat_t
	if err1 != nil || err2 != nil || unix.Fstat(fd, &st) != nil {
		return false
	}
	return uint64(st.Dev) == dev && uint64(st.Ino) == ino
}
