//go:build !linux

package outbound

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"syscall"
)

// Why transparent mode cannot work: only Linux has IP_TRANSPARENT.
var (
	ErrNoCapability  = errors.New("transparent mode (-p) needs Linux's IP_TRANSPARENT")
	ErrUserNamespace = ErrNoCapability
)

// transparentDialer fails every dial: only Linux has IP_TRANSPARENT.
func transparentDialer(netip.Addr) *net.Dialer {
	return &net.Dialer{Control: func(string, string, syscall.RawConn) error { return ErrNoCapability }}
}

// DialTransparent fails: only Linux has IP_TRANSPARENT.
func DialTransparent(context.Context, netip.Addr, netip.AddrPort) (net.Conn, error) {
	return nil, ErrNoCapability
}

// TransparentListenConfig's listeners fail: only Linux has IP_TRANSPARENT.
func TransparentListenConfig() *net.ListenConfig {
	return &net.ListenConfig{Control: func(string, string, syscall.RawConn) error { return ErrNoCapability }}
}

// CheckCapability returns ErrNoCapability: only Linux has IP_TRANSPARENT.
func CheckCapability() error { return ErrNoCapability }
