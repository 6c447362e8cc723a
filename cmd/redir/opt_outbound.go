package main

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/forward/outbound"
)

// outboundOptions checks -p, -x and --proxy-protocol. They combine: -p
// with -x connects to the proxy from the client's address; --proxy-protocol
// with -x sends the header through the tunnel, to the server the proxy
// connected to. -p with -b is refused: both set the source address. The
// --config line that turned -p on is noted, for the check at start
// (outboundCheck).
func (c *cliArgs) outboundOptions(cfg *config) error {
	if c.Connect.set {
		authority, err := connectAuthority(c.Connect.val)
		if err != nil {
			return fmt.Errorf("-x/--connect: %w", err)
		}
		cfg.Connect = authority
	}
	if c.ProxyProtocol.set {
		v, ok := map[string]int{"v1": 1, "v2": 2}[c.ProxyProtocol.val]
		if !ok {
			return fmt.Errorf("invalid --proxy-protocol %q: want v1 or v2", c.ProxyProtocol.val)
		}
		cfg.ProxyProtocol = v
	}
	if c.Transproxy && c.Bind.set {
		return errors.New("-p/--transproxy and -b/--bind both set the source address: give one")
	}
	cfg.Transproxy = c.Transproxy
	c.noteFileLines(cfg, "transproxy")
	return nil
}

// connectAuthority checks a -x HOST:PORT as DST is checked (splitAddr),
// a host required, and returns it as the CONNECT request's authority: the
// port a number, an IPv6 host in brackets.
func connectAuthority(s string) (string, error) {
	host, port, err := splitAddr(s)
	if err == nil && host == "" {
		err = fmt.Errorf("invalid address %q: want HOST:PORT, the server the proxy connects to", s)
	}
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, port), nil
}

// outboundCheck runs before any socket is bound: what -p needs of the
// host (its capability) is refused here, at start.
func outboundCheck(cfg config) error {
	if !cfg.Transproxy {
		return nil
	}
	if err := outbound.CheckCapability(); err != nil {
		return &valueError{"transproxy", "true", fmt.Errorf("-p/--transproxy: %w", err)}
	}
	return nil
}

// outboundDial is the dial -p, -x or --proxy-protocol asks for, or nil:
// then forward's own dial and splice path stay.
func outboundDial(cfg config, f *forward.Forwarder) func(context.Context, forward.ConnInfo) (net.Conn, error) {
	if !cfg.Transproxy && cfg.Connect == "" && cfg.ProxyProtocol == 0 {
		return nil
	}
	d := &outbound.Dialer{
		Target:        f.Target,
		LocalAddr:     f.LocalAddr,
		Transparent:   cfg.Transproxy,
		Connect:       cfg.Connect,
		ProxyProtocol: cfg.ProxyProtocol,
	}
	return func(ctx context.Context, info forward.ConnInfo) (net.Conn, error) {
		return d.Dial(ctx, info.Client, info.Local)
	}
}
