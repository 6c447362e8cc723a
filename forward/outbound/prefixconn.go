package outbound

import (
	"bytes"
	"net"
)

// prefixConn is a tunnel whose first bytes the handshake already read: it
// yields them before reading c again. It embeds the net.Conn interface,
// not *net.TCPConn, so that no ReadFrom or WriteTo of the socket is
// promoted that would read past the early bytes; it is always one.
type prefixConn struct {
	net.Conn
	early *bytes.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if p.early.Len() > 0 {
		return p.early.Read(b)
	}
	return p.Conn.Read(b)
}

// CloseWrite half-closes the tunnel, so the relay passes half-close on.
func (p *prefixConn) CloseWrite() error { return p.Conn.(*net.TCPConn).CloseWrite() }
