package main

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/redir-project/redir/forward"
)

// ftpOptions checks -f.
func (c *cliArgs) ftpOptions(cfg *config) error {
	if !c.FTP.set {
		return nil
	}
	if !slices.Contains([]string{"port", "pasv", "both"}, c.FTP.val) {
		return fmt.Errorf("invalid -f/--ftp type %q: want port, pasv or both", c.FTP.val)
	}
	return fmt.Errorf("-f/--ftp is %w", errNotSupported)
}

// ftpWrap is the FTP control-channel rewriter -f asks for, or nil.
func ftpWrap(cfg config, f *forward.Forwarder, log *slog.Logger) wrapFunc {
	return nil
}
