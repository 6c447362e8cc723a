package forward

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// ConnInfo describes one relayed connection to the hooks (Dial, Wrap).
type ConnInfo struct {
	// ID is the connection's number, the "conn" field of its record.
	ID uint64
	// Parent is the ID of the connection this one belongs to (an FTP data
	// connection's control connection), or 0.
	Parent uint64
	// Client is the client's address; Local the address it connected to
	// (nil when it could not be read).
	Client, Local net.Addr
}

// Hooks let the options that must see or shape the bytes, or connect in a
// way of their own, take part in a connection. A Forwarder with a hook set
// accepts through Go's poller and dials from a goroutine; a pair of plain
// *net.TCPConn that comes out of the hooks still relays on the splice path.
type Hooks struct {
	// Dial, when non-nil, makes the connection to the target in place of
	// the built-in dial (Target resolved afresh, LocalAddr). ctx ends at
	// DialTimeout or when the Forwarder shuts down. The conn's remote
	// address is the record's target. Transparent mode, CONNECT and the
	// PROXY protocol dial this way.
	Dial func(ctx context.Context, info ConnInfo) (net.Conn, error)
	// Wrap, when non-nil, is given every pair about to be relayed, Relay's
	// included (info.Parent set), and returns the conns to relay in their
	// place: conns that are not *net.TCPConn are copied in user space. A
	// returned conn that can half-close must have CloseWrite() error. One
	// whose Read holds bytes back on purpose (the shaper) should have
	// Holding() bool, true meanwhile: the idle timeout does not run out
	// while either conn of a pair holds bytes. The FTP rewriter and the
	// shaper wrap this way.
	Wrap func(info ConnInfo, client, target net.Conn) (net.Conn, net.Conn)
}

// AddrPort is a's IP address and port, IPv4 when it is v4-mapped IPv6, so
// that a client of a dual-stack listener is treated the same as one of an
// IPv4 listener. The hooks' addresses (ConnInfo, a conn's) go through it.
func AddrPort(a net.Addr) (netip.AddrPort, error) {
	var ap netip.AddrPort
	switch v := a.(type) {
	case nil:
		return ap, errors.New("no address")
	case *net.TCPAddr:
		ap = v.AddrPort()
	default:
		var err error
		if ap, err = netip.ParseAddrPort(a.String()); err != nil {
			return ap, err
		}
	}
	if !ap.Addr().IsValid() {
		return ap, fmt.Errorf("no IP address in %s", a)
	}
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), nil
}

// CloseWrite half-closes c, as the relay does when c's peer ended: with
// c's CloseWrite when it has one, else by closing c whole, the nearest it
// can come. A wrapper's CloseWrite may pass a half-close on with it.
func CloseWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// hooked says whether a hook is set, so the raw accept path is off.
func (f *Forwarder) hooked() bool { return f.Hooks.Dial != nil || f.Hooks.Wrap != nil }

// Relay relays one more pair of connected conns as a connection of this
// Forwarder, tied to connection parent (its record carries "parent"): it
// is counted, idle-timed, wrapped by Hooks.Wrap, drained at shutdown and
// recorded like any other. While it is open its parent does not idle out
// (an FTP control connection is silent during a long transfer). client is
// the side the record calls the client. Relay returns at once; it must be
// called while Serve runs and, for the drain to wait for it, from within
// the handling of connection parent (a Wrap conn's Read or Write), so that
// Serve has not finished draining.
func (f *Forwarder) Relay(parent uint64, client, target net.Conn) {
	s := &session{
		id: f.nextID.Add(1), parent: parent, start: time.Now(),
		client: client.RemoteAddr(), local: client.LocalAddr(), target: target.RemoteAddr(),
	}
	if v, ok := f.parents.Load(parent); ok {
		s.of = v.(*kids)
		s.of.started()
	}
	f.active.Add(1)
	f.stats.opened()
	f.startRelay(s, client, target)
}

// info is what the hooks are told about s.
func (s *session) info() ConnInfo {
	return ConnInfo{ID: s.id, Parent: s.parent, Client: s.client, Local: s.local}
}

// dialTarget is the hook's dial when one is set, else the built-in one.
// A panic in the hook fails this dial only (see recoverWrapper).
func (f *Forwarder) dialTarget(ctx context.Context, s *session) (conn net.Conn, err error) {
	if f.Hooks.Dial == nil {
		return f.dial(ctx)
	}
	defer func() {
		if v := recover(); v != nil {
			conn, err = nil, fmt.Errorf("forward: panic in the dial hook: %v", v)
		}
	}()
	return f.Hooks.Dial(ctx, s.info())
}

// wrap is the Wrap hook applied to a pair, when one is set. A panic in the
// hook is returned as an error; the caller closes the pair.
func (f *Forwarder) wrap(s *session, c, t net.Conn) (wc, wt net.Conn, err error) {
	if f.Hooks.Wrap == nil {
		return c, t, nil
	}
	defer func() {
		if v := recover(); v != nil {
			wc, wt, err = c, t, fmt.Errorf("forward: panic in the wrap hook: %v", v)
		}
	}()
	wc, wt = f.Hooks.Wrap(s.info(), c, t)
	return wc, wt, nil
}
