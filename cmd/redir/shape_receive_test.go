package main

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// transfer is what a receiving end saw: when it connected (or accepted),
// and each read: when its bytes arrived, and how many; and how many reads
// came without the kernel's time, and were timed when read.
type transfer struct {
	start     time.Time
	reads     []arrival
	unstamped int
}

type arrival struct {
	at time.Time
	n  int
}

// total is how many bytes the transfer received.
func (tr transfer) total() int64 {
	var n int64
	for _, a := range tr.reads {
		n += int64(a.n)
	}
	return n
}

// receive reads c, a TCP conn, to EOF (within a minute) and logs every
// read. start is when the connection was made: no byte can have been
// sent before. A read's time is the kernel's (SO_TIMESTAMPNS): when the
// last of its bytes reached the socket, not when this goroutine got to
// read them. A busy test process reads late, and a late last read would
// make the rate look lower than the shaper made it. The kernel leaves
// some reads unstamped (the first after the option is set, on some
// kernels); those are timed when read, as without the option.
func receive(c net.Conn, start time.Time) (transfer, error) {
	tr := transfer{start: start}
	raw, err := c.(syscall.Conn).SyscallConn()
	if err != nil {
		return tr, err
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_TIMESTAMPNS, 1)
	}); err != nil || serr != nil {
		return tr, fmt.Errorf("SO_TIMESTAMPNS: %w", errors.Join(err, serr))
	}
	c.SetReadDeadline(time.Now().Add(time.Minute))
	buf, oob := make([]byte, 64<<10), make([]byte, 128)
	for {
		n, at, err := recvStamped(raw, buf, oob)
		if err != nil {
			return tr, err
		}
		if n == 0 {
			return tr, nil
		}
		if at.IsZero() {
			at = time.Now()
			tr.unstamped++
		}
		tr.reads = append(tr.reads, arrival{at, n})
	}
}

// recvStamped reads once from raw and returns how many bytes, and the
// kernel's time for the last of them, or the zero time when the kernel
// gave none; 0 bytes and no error is EOF.
func recvStamped(raw syscall.RawConn, buf, oob []byte) (int, time.Time, error) {
	var n, oobn int
	var rerr error
	err := raw.Read(func(fd uintptr) bool {
		n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, 0)
		return rerr != unix.EAGAIN
	})
	if err == nil {
		err = rerr
	}
	if err != nil || n == 0 {
		return 0, time.Time{}, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil {
		return 0, time.Time{}, err
	}
	for _, m := range msgs {
		if m.Header.Level == unix.SOL_SOCKET && m.Header.Type == unix.SCM_TIMESTAMPNS && len(m.Data) >= int(unsafe.Sizeof(unix.Timespec{})) {
			ts := (*unix.Timespec)(unsafe.Pointer(&m.Data[0]))
			return n, time.Unix(ts.Unix()), nil
		}
	}
	return n, time.Time{}, nil
}
