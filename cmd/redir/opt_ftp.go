package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/forward/outbound"
	"github.com/redir-project/redir/ftp"
)

// ftpOptions checks -f and sets cfg.FTP.
func (c *cliArgs) ftpOptions(cfg *config) error {
	if !c.FTP.set {
		return nil
	}
	mode, err := ftp.ParseMode(c.FTP.val)
	if err != nil {
		return fmt.Errorf("invalid -f/--ftp type %q: %w", c.FTP.val, err)
	}
	if c.Connect.set {
		// The data connections would have to be tunnelled too, to an
		// address the proxy alone knows.
		return errors.New("-f/--ftp cannot be given with -x/--connect: FTP data connections do not go through a CONNECT proxy")
	}
	if c.ProxyProtocol.set {
		// A server that reads the header (ProFTPD's mod_proxy_protocol)
		// takes the client for the control connection's peer, then sees
		// PORT name redir, or a passive data connection come from redir,
		// and refuses both as foreign addresses.
		return errors.New("-f/--ftp cannot be given with --proxy-protocol: the server would learn the client's address on the control connection and refuse data connections from redir's")
	}
	cfg.FTP = mode
	return nil
}

// ftpWrap is the FTP control-channel rewriter -f asks for, or nil, so that
// without -f every connection keeps the splice path. Data connections go
// back to f through Relay and carry the control connection's id.
func ftpWrap(cfg config, f *forward.Forwarder, log *slog.Logger) wrapFunc {
	if cfg.FTP == 0 {
		return nil
	}
	fc := ftp.Config{
		Mode:        cfg.FTP,
		Relay:       f.Relay,
		Log:         log,
		DialTimeout: cfg.ConnectTimeout,
	}
	if cfg.Transproxy {
		// Towards the server the control connection carries the client's
		// address: the data connections do too, dialled from it (passive)
		// or listened for on it (active).
		fc.Dial = outbound.DialTransparent
		fc.ListenConfig = outbound.TransparentListenConfig()
	}
	return ftp.New(fc).Wrap
}
