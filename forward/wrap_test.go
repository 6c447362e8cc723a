package forward_test

import (
	"net"
	"testing"

	"github.com/redir-project/redir/forward"
)

// wrappedConn hides the *net.TCPConn from the forwarder, as the FTP
// rewriter or the shaper will, so it must take the user-space copier.
// CloseWrite is passed on, as any wrapper that keeps half-close must do.
type wrappedConn struct{ net.Conn }

func (c wrappedConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

// bareConn is a wrapper that cannot half-close at all.
type bareConn struct{ net.Conn }

// wrapListener makes every accepted conn a non-TCP conn with wrap.
type wrapListener struct {
	net.Listener
	wrap func(net.Conn) net.Conn
}

func (l wrapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.wrap(c), nil
}

// listenerKind makes the forwarder's listener: plain TCP conns (the
// splice relay) or wrapped ones (the user-space copier). Every relay
// scenario runs with each.
type listenerKind struct {
	name string
	wrap func(net.Listener) net.Listener
}

var listenerKinds = []listenerKind{
	{"tcp", func(ln net.Listener) net.Listener { return ln }},
	{"wrapped", func(ln net.Listener) net.Listener {
		return wrapListener{ln, func(c net.Conn) net.Conn { return wrappedConn{c} }}
	}},
}

// serve listens on 127.0.0.1 with the kind's listener and runs f on it.
func (k listenerKind) serve(t *testing.T, f *forward.Forwarder) *server {
	t.Helper()
	return serve(t, f, k.wrap(listen(t, "tcp", "127.0.0.1:0")))
}
