package forward

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// minAttempt is the least time one address gets when several share the
// dial timeout, as in net.Dialer.
const minAttempt = 2 * time.Second

// dialState is a pair's connection to the target while it is being made:
// one non-blocking connect at a time, address after address.
type dialState struct {
	addrs    []netip.AddrPort
	next     int            // index of the next address to try
	cur      netip.AddrPort // the address being tried
	local    *net.TCPAddr   // source address (-b), or nil
	deadline int64          // reactor clock: the whole dial gives up
	tryUntil int64          // reactor clock: the current attempt gives up
	client   uint32         // the readable events the client socket reported meanwhile
}

// advance starts connecting to the next address that takes a socket and
// returns its descriptor, or the error of the last one when none is left.
func (d *dialState) advance(now int64, last error) (int, error) {
	for d.next < len(d.addrs) && now < d.deadline {
		d.cur = d.addrs[d.next]
		d.next++
		fd, err := startConnect(d.cur, d.local)
		if err == nil {
			d.tryUntil = now + d.share(now)
			return fd, nil
		}
		last = err
	}
	if last == nil {
		last = dialError(d.cur, unix.ETIMEDOUT)
	}
	return -1, last
}

// share is the current attempt's part of the time left: an even split
// over the addresses left, but at least minAttempt when there is that much.
func (d *dialState) share(now int64) int64 {
	left := d.deadline - now
	per := left / int64(len(d.addrs)-d.next+1)
	if per < int64(minAttempt) {
		per = min(int64(minAttempt), left)
	}
	return per
}

// startConnect opens a non-blocking TCP socket, binds it to local when
// set, and starts connecting it to a. Completion shows as EPOLLOUT.
func startConnect(a netip.AddrPort, local *net.TCPAddr) (int, error) {
	family := unix.AF_INET6
	if a.Addr().Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, dialError(a, os.NewSyscallError("socket", err))
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	if local != nil {
		// Take the port at connect, not at bind: many connections can then
		// share a port towards different targets.
		unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		if err := unix.Bind(fd, sockaddr(local.AddrPort())); err != nil {
			unix.Close(fd)
			return -1, dialError(a, os.NewSyscallError("bind", err))
		}
	}
	err = unix.Connect(fd, sockaddr(a))
	if err != nil && err != unix.EINPROGRESS && err != unix.EINTR {
		unix.Close(fd)
		return -1, dialError(a, os.NewSyscallError("connect", err))
	}
	return fd, nil
}

func dialError(a netip.AddrPort, err error) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: net.TCPAddrFromAddrPort(a), Err: err}
}

// sockaddr converts an address for the socket calls.
func sockaddr(a netip.AddrPort) unix.Sockaddr {
	ip := a.Addr().Unmap()
	if ip.Is4() {
		return &unix.SockaddrInet4{Port: int(a.Port()), Addr: ip.As4()}
	}
	sa := &unix.SockaddrInet6{Port: int(a.Port()), Addr: ip.As16()}
	if z := ip.Zone(); z != "" {
		if ifi, err := net.InterfaceByName(z); err == nil {
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa
}

// tcpAddr converts an address the socket calls returned; nil if it is not
// IP. They are the syscall package's: x/sys/unix asks the socket's protocol
// (a getsockopt) for every IPv4 address it converts.
func tcpAddr(sa syscall.Sockaddr) *net.TCPAddr {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)))
	case *syscall.SockaddrInet6:
		ip := netip.AddrFrom16(sa.Addr)
		if sa.ZoneId != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.ZoneId)); err == nil {
				ip = ip.WithZone(ifi.Name)
			}
		}
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ip, uint16(sa.Port)))
	}
	return nil
}
