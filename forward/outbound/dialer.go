// Package outbound makes redir's connection to its target in the ways the
// built-in dial does not: from the client's own address (transparent mode,
// IP_TRANSPARENT), through an HTTP proxy (CONNECT), and with a PROXY
// protocol header (v1 or v2) in front of the data. It only dials: the
// relay, records and timeouts stay with package forward.
package outbound

import (
	"context"
	"fmt"
	"net"

	"github.com/redir-project/redir/forward"
)

// A Dialer connects to Target for one relayed connection. Only Target is
// required; every other field documents its zero value.
type Dialer struct {
	// Target is "host:port": the server, or with Connect the HTTP proxy.
	// The host is resolved on every Dial and each address tried in turn.
	Target string
	// LocalAddr, when non-nil, is the source address (redir -b); nil lets
	// the kernel choose. It must be nil when Transparent is set.
	LocalAddr *net.TCPAddr
	// Transparent makes the client's own address the source address
	// (redir -p): IP_TRANSPARENT, which needs CAP_NET_RAW or CAP_NET_ADMIN
	// and the host's policy routing for the replies.
	Transparent bool
	// Connect, when not "", is the HOST:PORT Target, an HTTP proxy, is
	// asked to CONNECT to; the relay starts once it answers 2xx.
	Connect string
	// ProxyProtocol is 1 or 2 for a PROXY protocol header of that version
	// ahead of the client's bytes (through the tunnel with Connect: it is
	// for the server, not the proxy); 0 means none.
	ProxyProtocol int
}

// Dial connects to the target for a client that came from client and
// reached local (nil when unknown), within ctx. The conn it returns is a
// plain *net.TCPConn unless bytes the proxy sent with its answer are
// waiting to be read: then it yields those first and can still CloseWrite.
func (d *Dialer) Dial(ctx context.Context, client, local net.Addr) (net.Conn, error) {
	nd := &net.Dialer{KeepAlive: -1}
	switch {
	case d.LocalAddr != nil: // not a typed nil in the interface
		nd.LocalAddr = d.LocalAddr
	case d.Transparent:
		src, err := forward.AddrPort(client)
		if err != nil {
			return nil, fmt.Errorf("transparent source: %w", err)
		}
		nd = transparentDialer(src.Addr())
	}
	c, err := nd.DialContext(ctx, "tcp", d.Target)
	if err != nil {
		return nil, err
	}
	tc := c.(*net.TCPConn)
	conn := net.Conn(tc)
	if d.Connect != "" {
		if conn, err = handshake(ctx, tc, d.Connect); err != nil {
			tc.Close()
			return nil, err
		}
	}
	if d.ProxyProtocol != 0 {
		if err := writeHeader(ctx, conn, d.ProxyProtocol, client, local); err != nil {
			conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// writeHeader writes the PROXY protocol header to c within ctx.
func writeHeader(ctx context.Context, c net.Conn, version int, client, local net.Addr) error {
	h, err := header(version, client, local)
	if err != nil {
		return err
	}
	done := bound(ctx, c)
	_, err = c.Write(h)
	if derr := done(); err == nil {
		err = derr
	}
	if err != nil {
		return fmt.Errorf("writing the PROXY header: %w", err)
	}
	return nil
}
