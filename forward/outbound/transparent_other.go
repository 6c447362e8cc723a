//go:build !linux

package outbound

import (
	"errors"
	"net"
	"syscall"
)

// ErrNoCapability says transparent mode cannot work in this process.
var ErrNoCapability = errors.New("outbound: transparent mode (-p) needs Linux's IP_TRANSPARENT")

// TransparentDialer fails every dial: only Linux has IP_TRANSPARENT.
func TransparentDialer(net.Addr) *net.Dialer {
	return &net.Dialer{Control: func(string, string, syscall.RawConn) error { return ErrNoCapability }}
}

// CheckCapability returns ErrNoCapability: only Linux has IP_TRANSPARENT.
func CheckCapability() error { return ErrNoCapability }
