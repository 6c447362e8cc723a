package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// Why transparent mode cannot work in this process: ErrNoCapability when
// it lacks both capabilities, ErrUserNamespace when it has them but only
// in a user namespace of its own (unshare -U, systemd's PrivateUsers=yes):
// the kernel asks for them in the namespace that owns the network
// namespace, the host's.
var (
	ErrNoCapability  = errors.New("IP_TRANSPARENT needs CAP_NET_ADMIN or CAP_NET_RAW, and this process has neither in its effective set")
	ErrUserNamespace = errors.New("transparent mode needs CAP_NET_RAW or CAP_NET_ADMIN in the host's user namespace (in a unit: PrivateUsers=no)")
)

// transparentDialer is a dialer whose connections carry source, an
// address of some other host (the client's), so that the target sees that
// host rather than this one. FTP data connections dial with it too. The
// socket sets IP_TRANSPARENT (IPV6_TRANSPARENT), which lets it bind an
// address that is not local; IP_FREEBIND is not needed on top of it, the
// kernel's bind check accepts either in both families.
//
// The port is the kernel's to pick when connecting
// (IP_BIND_ADDRESS_NO_PORT), so that the 4-tuple, not the address alone,
// must be unique. Reusing the client's own port would make the target see
// it too, but a client that connects again from the same port while the
// previous outbound connection is still in TIME_WAIT would then fail with
// EADDRINUSE; the client's port says nothing to a server anyway.
//
// The replies come back only when the host routes them to a local socket
// (policy routing and an nftables "socket transparent" mark; see redir(1)).
func transparentDialer(source netip.Addr) *net.Dialer {
	return &net.Dialer{
		KeepAlive: -1, Control: transparentControl,
		LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(source.Unmap(), 0)),
	}
}

// DialTransparent connects to remote from local, which may be another
// host's address, with a port the kernel chooses: the transparent dial in
// the shape of ftp.Config's Dial, for FTP data connections under -p.
func DialTransparent(ctx context.Context, local netip.Addr, remote netip.AddrPort) (net.Conn, error) {
	if !local.IsValid() {
		// Dialing from a local address instead would hide the client.
		return nil, errors.New("transparent source: no IP address")
	}
	return transparentDialer(local).DialContext(ctx, "tcp", remote.String())
}

// TransparentListenConfig is a ListenConfig whose sockets set
// IP_TRANSPARENT (IPV6_TRANSPARENT) and so may listen on an address that
// is not local: under -p, an FTP data listener on the address the server
// knows as the client's. Connections to it arrive only with the host's
// routing for transparent mode in place (redir(1)).
func TransparentListenConfig() *net.ListenConfig {
	return &net.ListenConfig{KeepAlive: -1, Control: func(network, _ string, rc syscall.RawConn) error {
		return setTransparent(network, rc, false)
	}}
}

// transparentControl sets the socket options of a dialing socket before
// its bind.
func transparentControl(network, _ string, rc syscall.RawConn) error {
	return setTransparent(network, rc, true)
}

// setTransparent sets IP_TRANSPARENT or IPV6_TRANSPARENT on rc and, for a
// socket that will connect, IP_BIND_ADDRESS_NO_PORT.
func setTransparent(network string, rc syscall.RawConn, dialing bool) error {
	level, opt, name := unix.SOL_IP, unix.IP_TRANSPARENT, "IP_TRANSPARENT"
	if network == "tcp6" {
		level, opt, name = unix.SOL_IPV6, unix.IPV6_TRANSPARENT, "IPV6_TRANSPARENT"
	}
	var serr error
	err := rc.Control(func(fd uintptr) {
		if serr = unix.SetsockoptInt(int(fd), level, opt, 1); serr != nil {
			serr = fmt.Errorf("setsockopt %s: %w", name, serr)
			return
		}
		if !dialing {
			return
		}
		serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_BIND_ADDRESS_NO_PORT, 1)
		if serr != nil {
			serr = fmt.Errorf("setsockopt IP_BIND_ADDRESS_NO_PORT: %w", serr)
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// CheckCapability returns an error unless the process may set
// IP_TRANSPARENT: ErrNoCapability without CAP_NET_ADMIN and CAP_NET_RAW in
// its effective set, else whatever setting IP_TRANSPARENT on a trial IPv4
// socket and IPV6_TRANSPARENT on a trial IPv6 one (when the host has IPv6)
// returns, ErrUserNamespace when that is EPERM.
func CheckCapability() error {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("reading the capabilities: %w", err)
	}
	const want = 1<<unix.CAP_NET_ADMIN | 1<<unix.CAP_NET_RAW // both below 32
	if data[0].Effective&want == 0 {
		return ErrNoCapability
	}
	if err := trySetsockopt(unix.AF_INET, unix.SOL_IP, unix.IP_TRANSPARENT, "IP_TRANSPARENT"); err != nil {
		return err
	}
	return trySetsockopt(unix.AF_INET6, unix.SOL_IPV6, unix.IPV6_TRANSPARENT, "IPV6_TRANSPARENT")
}

// trySetsockopt sets option opt on a TCP socket of family that it then
// closes; a family the host lacks is no error.
func trySetsockopt(family, level, opt int, name string) error {
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if errors.Is(err, unix.EAFNOSUPPORT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("a trial socket for %s: %w", name, err)
	}
	defer unix.Close(fd)
	err = unix.SetsockoptInt(fd, level, opt, 1)
	if errors.Is(err, unix.EPERM) {
		return fmt.Errorf("setsockopt %s: %w; %w", name, err, ErrUserNamespace)
	}
	if err != nil {
		return fmt.Errorf("setsockopt %s on a trial socket: %w", name, err)
	}
	return nil
}
