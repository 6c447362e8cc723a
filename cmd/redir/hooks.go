package main

import (
	"log/slog"
	"net"

	"github.com/redir-project/redir/forward"
)

// wrapFunc is a forward.Hooks.Wrap: one feature's wrapper of a pair.
type wrapFunc = func(info forward.ConnInfo, client, target net.Conn) (net.Conn, net.Conn)

// newHooks builds the forwarder's hooks from the options that need them:
// the outbound dial (-p, -x, --proxy-protocol), then the FTP rewriter (-f)
// nearest the sockets' bytes, then the shaper (-m, -w) around it.
func newHooks(cfg config, f *forward.Forwarder, log *slog.Logger) forward.Hooks {
	return forward.Hooks{
		Dial: outboundDial(cfg, f),
		Wrap: chainWraps(ftpWrap(cfg, f, log), shapeWrap(cfg, f)),
	}
}

// chainWraps applies each non-nil wrapper in turn; nil when there is none.
func chainWraps(wraps ...wrapFunc) wrapFunc {
	var set []wrapFunc
	for _, w := range wraps {
		if w != nil {
			set = append(set, w)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return func(info forward.ConnInfo, c, t net.Conn) (net.Conn, net.Conn) {
		for _, w := range set {
			c, t = w(info, c, t)
		}
		return c, t
	}
}

// startChecks runs before any socket is bound or inherited, so that what
// the options need of the host is refused at start.
func startChecks(cfg config) error {
	return outboundCheck(cfg)
}
