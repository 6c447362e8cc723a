package activation

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// socketFromFD makes a Socket from a duplicate of fd, which it leaves
// open. Its errors do not name fd: the caller knows how to.
func socketFromFD(fd int, name string) (Socket, error) {
	listening, err := inspect(fd)
	if err != nil {
		return Socket{}, err
	}
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return Socket{}, os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(dup), name)
	defer f.Close() // net.FileListener and net.FileConn take duplicates
	s := Socket{FD: fd, Name: name, Connected: !listening}
	if listening {
		s.Listener, err = net.FileListener(f)
		return s, err
	}
	c, err := net.FileConn(f)
	if err != nil {
		return Socket{}, err
	}
	if c.RemoteAddr() == nil {
		c.Close()
		return Socket{}, errors.New("a TCP socket neither listening nor connected")
	}
	s.Listener = NewConnListener(c)
	return s, nil
}

// inspect says whether fd is a listening TCP socket (true) or a connected
// one (false); anything else is an error wrapping ErrNotTCP that says what
// fd is instead.
func inspect(fd int) (listening bool, err error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	switch {
	case errors.Is(err, unix.ENOTSOCK):
		return false, fmt.Errorf("%w: %s", ErrNotTCP, fileKind(fd))
	case errors.Is(err, unix.EBADF):
		return false, errors.New("not an open descriptor")
	case err != nil:
		return false, os.NewSyscallError("getsockopt", err)
	}
	domain, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return false, os.NewSyscallError("getsockopt", err)
	}
	proto, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PROTOCOL)
	if err != nil {
		return false, os.NewSyscallError("getsockopt", err)
	}
	inet := domain == unix.AF_INET || domain == unix.AF_INET6
	tcp := proto == unix.IPPROTO_TCP || proto == unix.IPPROTO_MPTCP
	if !inet || typ != unix.SOCK_STREAM || !tcp {
		return false, fmt.Errorf("%w: %s", ErrNotTCP, socketKind(domain, typ, proto))
	}
	acc, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err != nil {
		return false, os.NewSyscallError("getsockopt", err)
	}
	return acc != 0, nil
}

// socketKind describes a socket that is not TCP: "a unix stream socket".
func socketKind(domain, typ, proto int) string {
	families := map[int]string{unix.AF_UNIX: "unix", unix.AF_INET: "IPv4", unix.AF_INET6: "IPv6",
		unix.AF_NETLINK: "netlink", unix.AF_PACKET: "packet"}
	types := map[int]string{unix.SOCK_STREAM: "stream", unix.SOCK_DGRAM: "datagram",
		unix.SOCK_SEQPACKET: "seqpacket", unix.SOCK_RAW: "raw"}
	family, ok := families[domain]
	if !ok {
		family = fmt.Sprintf("family %d", domain)
	}
	kind, ok := types[typ]
	if !ok {
		kind = fmt.Sprintf("type %d", typ)
	}
	article := "a"
	if strings.HasPrefix(family, "I") {
		article = "an"
	}
	s := fmt.Sprintf("%s %s %s socket", article, family, kind)
	if (domain == unix.AF_INET || domain == unix.AF_INET6) && typ == unix.SOCK_STREAM {
		s += fmt.Sprintf(" of protocol %d", proto)
	}
	return s
}

// fileKind describes a descriptor that is not a socket.
func fileKind(fd int) string {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil {
		return "not a socket"
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return "a regular file"
	case unix.S_IFCHR:
		return "a character device"
	case unix.S_IFIFO:
		return "a pipe"
	case unix.S_IFDIR:
		return "a directory"
	}
	return "not a socket"
}

// closeFD closes an inherited descriptor once a Socket holds a duplicate.
func closeFD(fd int) { unix.Close(fd) }

// IsTCPSocket says whether f is a TCP socket, as stdout and stderr are
// under inetd: a program there must write nothing to them but the bytes
// meant for the client.
func IsTCPSocket(f *os.File) bool {
	sc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	sc.Control(func(fd uintptr) {
		_, err := inspect(int(fd))
		ok = err == nil
	})
	return ok
}
