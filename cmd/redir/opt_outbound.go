package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/redir-project/redir/forward"
)

// outboundOptions checks -p, -x and --proxy-protocol.
func (c *cliArgs) outboundOptions(cfg *config) error {
	if c.Connect.set && c.Connect.val == "" {
		return errors.New("invalid -x/--connect \"\": want HOST:PORT for the CONNECT request")
	}
	if c.ProxyProtocol.set && c.ProxyProtocol.val != "v1" && c.ProxyProtocol.val != "v2" {
		return fmt.Errorf("invalid --proxy-protocol %q: want v1 or v2", c.ProxyProtocol.val)
	}
	switch {
	case c.Transproxy:
		return fmt.Errorf("-p/--transproxy is %w", errNotSupported)
	case c.Connect.set:
		return fmt.Errorf("-x/--connect is %w", errNotSupported)
	case c.ProxyProtocol.set:
		return fmt.Errorf("--proxy-protocol is %w", errNotSupported)
	}
	return nil
}

// outboundCheck runs before any socket is bound: what -p needs of the
// host (its capability) is refused here, at start.
func outboundCheck(cfg config) error {
	return nil
}

// outboundDial is the dial -p, -x or --proxy-protocol asks for, or nil.
func outboundDial(cfg config, f *forward.Forwarder) (func(context.Context, forward.ConnInfo) (net.Conn, error), error) {
	return nil, nil
}
