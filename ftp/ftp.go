// Package ftp lets FTP through a TCP redirector: it rewrites the control
// connection so that the client and the server are each told an address
// of the redirector (PORT and EPRT commands, 227 and 229 replies, RFC 959
// and RFC 2428, IPv4 and IPv6), and relays each data connection that then
// arrives there. A Proxy plugs into a forward.Forwarder as its Wrap hook;
// the data connections go back to the forwarder through a Relay function,
// so they are counted, timed, shaped and recorded like any other.
//
// Towards the server it asks for passive transfers in the form the
// server's address family allows (PASV over IPv4, EPSV over IPv6) and
// answers the client in the form it asked for, so either family of client
// works with either family of server.
//
// It refuses FTP bounce: a PORT or EPRT naming an address other than the
// client's own is answered with a 500 reply and never reaches the server,
// and a data listener accepts only the peer it is for. Every other line
// passes unchanged. It does not speak TLS: AUTH TLS hides the control
// connection from it.
package ftp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/redir-project/redir/forward"
)

// Defaults for the zero fields of a Config.
const (
	// DefaultDataTimeout is how long a data listener waits for its one
	// connection before it is closed.
	DefaultDataTimeout = 60 * time.Second
	// DefaultDialTimeout bounds the dial of the other side of a data
	// connection.
	DefaultDialTimeout = 10 * time.Second
)

// MaxLineLength is the longest control line, its line end included, that
// a session takes in either direction; a longer one ends the session.
const MaxLineLength = 8192

// Mode says which side's data-connection addresses are rewritten.
type Mode uint8

// The modes, as -f names them.
const (
	// Port rewrites the client's PORT and EPRT commands (active transfers).
	Port Mode = 1 << iota
	// Pasv rewrites the server's 227 and 229 replies (passive transfers).
	Pasv
	// Both rewrites both.
	Both = Port | Pasv
)

// ParseMode turns "port", "pasv" or "both" into a Mode.
func ParseMode(s string) (Mode, error) {
	switch s {
	case "port":
		return Port, nil
	case "pasv":
		return Pasv, nil
	case "both":
		return Both, nil
	}
	return 0, errors.New("want port, pasv or both")
}

// Config is what a Proxy needs. Mode and Relay are required; every other
// field documents its zero value.
type Config struct {
	Mode Mode
	// Relay relays one data connection of control connection parent:
	// client is the conn to the FTP client, server the one to the FTP
	// server. It owns both conns and returns at once (forward.Forwarder's
	// Relay). It is called only while the control connection is open.
	Relay func(parent uint64, client, server net.Conn)
	// Log receives the sessions' records. Nil means slog.Default().
	Log *slog.Logger
	// DataTimeout is how long a data listener waits for its connection.
	// Zero or negative means DefaultDataTimeout.
	DataTimeout time.Duration
	// DialTimeout bounds the dial of a data connection's other side.
	// Zero or negative means DefaultDialTimeout.
	DialTimeout time.Duration
	// Dial connects a data connection's other side to remote from the
	// local address local (the one its control connection uses on that
	// side). Nil means a net.Dialer bound to local.
	Dial func(ctx context.Context, local netip.Addr, remote netip.AddrPort) (net.Conn, error)
	// ListenConfig makes the data listeners, on the local address of the
	// control connection's side the peer is on (which, in transparent
	// mode, is the client's address towards the server). Nil means a
	// net.ListenConfig without TCP keep-alive, as redir's other sockets.
	ListenConfig *net.ListenConfig
}

// A Proxy rewrites FTP control connections; its Wrap method is a
// forward.Hooks.Wrap.
type Proxy struct{ cfg Config }

// New returns a Proxy with cfg's zero fields filled in.
func New(cfg Config) *Proxy {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.DataTimeout <= 0 {
		cfg.DataTimeout = DefaultDataTimeout
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = DefaultDialTimeout
	}
	if cfg.Dial == nil {
		cfg.Dial = dialFrom
	}
	if cfg.ListenConfig == nil {
		cfg.ListenConfig = &net.ListenConfig{KeepAlive: -1}
	}
	return &Proxy{cfg: cfg}
}

// Wrap wraps a control connection (info.Parent zero) so that its lines
// are rewritten, and returns a data connection (info.Parent set) as it is.
// A control connection it cannot rewrite (an address of it unknown) is
// closed, with an error record, rather than relayed unchecked.
// The client conn is always wrapped (commands, and the replies the proxy
// gives itself); the target conn only when Mode has Pasv. Closing either
// wrapped conn ends the session: its data listener is closed and Close
// waits until no Relay call can come from it.
func (p *Proxy) Wrap(info forward.ConnInfo, client, target net.Conn) (net.Conn, net.Conn) {
	if info.Parent != 0 {
		return client, target
	}
	s, err := newSession(p.cfg, info.ID, client, target)
	if err != nil { // unrewritten, PORT would reach the server unchecked
		p.cfg.Log.Error("ftp: control connection refused: it cannot be rewritten", "conn", info.ID, "error", err)
		client.Close()
		target.Close()
		return client, target
	}
	c := &clientConn{ctlConn{Conn: client, s: s, lines: newLineReader(client, s.command)}}
	if p.cfg.Mode&Pasv == 0 {
		return c, target
	}
	return c, &ctlConn{Conn: target, s: s, lines: newLineReader(target, s.reply)}
}

// dialFrom is the default Dial: TCP from local's address, any port,
// without TCP keep-alive, as redir's other sockets.
func dialFrom(ctx context.Context, local netip.Addr, remote netip.AddrPort) (net.Conn, error) {
	d := net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(local, 0)), KeepAlive: -1}
	return d.DialContext(ctx, "tcp", remote.String())
}
