package ftp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"time"
)

// errSuperseded closes a data listener that a later PORT, EPRT or passive
// reply replaced: the server and the client use only the latest.
var errSuperseded = errors.New("ftp: data listener replaced by a newer one")

// maxStrangers bounds the connections from other addresses a data
// listener turns away before it gives up.
const maxStrangers = 16

// dataPlan is one data connection to be: where the redirector listens,
// whom it accepts there, and where it then connects.
type dataPlan struct {
	listen   netip.Addr // the redirector's address the peer reached it at
	peer     netip.Addr // the only address a connection is taken from
	passive  bool       // the accepted conn is the FTP client's
	dialFrom netip.Addr
	dialTo   netip.AddrPort
}

// openData listens for the data connection d describes and returns the
// address to name to the peer. The listener replaces any that is still
// waiting and is served by a goroutine the session waits for.
func (s *session) openData(d dataPlan) (netip.AddrPort, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return netip.AddrPort{}, net.ErrClosed
	}
	if s.pending != nil {
		s.pending()
	}
	ln, err := s.cfg.ListenConfig.Listen(s.ctx, "tcp", netip.AddrPortFrom(d.listen, 0).String())
	if err != nil {
		return netip.AddrPort{}, err
	}
	ctx, cancel := context.WithCancelCause(s.ctx)
	// Closed here, not by the context's AfterFunc alone: once the client
	// is told of the new listener, the old one must take nothing more.
	s.pending = func() { cancel(errSuperseded); ln.Close() }
	s.data.Add(1)
	go s.serveData(ctx, ln.(*net.TCPListener), d)
	return ln.Addr().(*net.TCPAddr).AddrPort(), nil
}

// serveData takes the one data connection d waits for, connects the other
// side and hands the pair to Relay.
func (s *session) serveData(ctx context.Context, ln *net.TCPListener, d dataPlan) {
	defer s.data.Done()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	log := s.log.With("data_listener", ln.Addr().String())
	log.Debug("ftp: data listener open", "peer", d.peer.String(), "then_dial", d.dialTo.String())
	c := s.acceptFrom(ctx, ln, d.peer, log)
	ln.Close()
	if c == nil {
		return
	}
	// Taken: a newer listener no longer cancels it, the session's end does.
	dctx, cancel := context.WithTimeout(s.ctx, s.cfg.DialTimeout)
	o, err := s.cfg.Dial(dctx, d.dialFrom, d.dialTo)
	cancel()
	if err != nil {
		c.Close()
		log.Error("ftp: data connection dial failed", "to", d.dialTo.String(), "error", err)
		return
	}
	if d.passive {
		s.cfg.Relay(s.id, c, o)
	} else {
		s.cfg.Relay(s.id, o, c)
	}
}

// acceptFrom returns the first connection from peer within DataTimeout,
// or nil when there is none; it closes every other one with a record.
func (s *session) acceptFrom(ctx context.Context, ln *net.TCPListener, peer netip.Addr, log *slog.Logger) net.Conn {
	ln.SetDeadline(time.Now().Add(s.cfg.DataTimeout))
	for range maxStrangers { // each turn that does not return turns one away
		c, err := ln.AcceptTCP()
		switch {
		case err == nil && c.RemoteAddr().(*net.TCPAddr).AddrPort().Addr().Unmap().WithZone("") == peer.WithZone(""):
			return c
		case err == nil:
			log.Warn("ftp: data connection from another address refused",
				"from", c.RemoteAddr().String(), "want", peer.String())
			c.Close()
		case errors.Is(err, os.ErrDeadlineExceeded):
			log.Warn("ftp: no data connection came", "timeout", s.cfg.DataTimeout)
			return nil
		case context.Cause(ctx) != nil:
			log.Debug("ftp: data listener closed unused", "cause", context.Cause(ctx).Error())
			return nil
		default:
			log.Warn("ftp: data listener failed", "error", err)
			return nil
		}
	}
	log.Warn("ftp: data listener closed after too many connections from other addresses")
	return nil
}
