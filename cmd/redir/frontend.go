package main

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/redir-project/redir/activation"
)

// The front-ends for inherited sockets: -i (inetd's stdin) and systemd
// socket activation. Both end as net.Listeners for serve, like the
// sockets redir binds itself.

// runInherited serves the sockets inetd or systemd passed, in the
// foreground. With -i, fds 0, 1 and 2 may all be the client's connection:
// records go to journald or syslog, or nowhere, never to stderr.
func runInherited(cfg config, stderr io.Writer) error {
	dest := osLogDest(stderr) // before inheritedListeners repoints fd 2
	if cfg.Inetd {
		cfg.Syslog = true
		dest.stderr = io.Discard // where newLogger falls back without syslog
	}
	log, closeLog, err := newLogger(cfg, dest)
	if err != nil {
		return err
	}
	defer closeLog()
	if err := startChecks(cfg); err != nil {
		return inheritFailed(cfg, log, err)
	}
	local, err := bindAddr(cfg.Bind)
	if err != nil {
		return inheritFailed(cfg, log, err)
	}
	lns, err := inheritedListeners(cfg, log)
	if err != nil {
		return inheritFailed(cfg, log, err)
	}
	return serve(cfg, local, lns, log, func() {})
}

// inheritFailed logs err, with the config file line of the value that
// caused it as run prints it, when the log is not where run prints it (-i
// logs to syslog), and returns err.
func inheritFailed(cfg config, log *slog.Logger, err error) error {
	if cfg.Inetd {
		msg := locate(cfg.FileLines, err).Error()
		log.Error(msg, "error", msg)
	}
	return err
}

// inheritedListeners takes the sockets: fd 0 with -i (even when systemd
// passed LISTEN_FDS as well, with StandardInput=socket: fd 0 is the same
// connection), else those systemd passed from fd 3.
func inheritedListeners(cfg config, log *slog.Logger) ([]net.Listener, error) {
	var socks []activation.Socket
	if cfg.Inetd {
		s, err := activation.Stdin()
		if err != nil {
			return nil, err
		}
		socks = append(socks, s)
	} else {
		var err error
		if socks, err = activation.Systemd(); err != nil {
			return nil, err
		}
		if len(socks) == 0 {
			return nil, errors.New("socket activation: systemd passed no socket to this process")
		}
	}
	lns := make([]net.Listener, len(socks))
	for i, s := range socks {
		attrs := []any{"fd", s.FD, "local", s.Listener.Addr().String(), "connected", s.Connected}
		if s.Name != "" {
			attrs = append(attrs, "name", s.Name)
		}
		log.Debug("inherited socket", attrs...)
		lns[i] = s.Listener
	}
	return lns, nil
}

// guardStdio replaces stdout and stderr by writers that never reach them
// when they are a TCP socket, as under inetd, where fds 0, 1 and 2 are all
// the client's connection: the client must get nothing from redir but the
// target's bytes, not even a usage error. Such errors go to syslog.
func guardStdio(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	if f, ok := stdout.(*os.File); ok && activation.IsTCPSocket(f) {
		stdout = io.Discard
	}
	if f, ok := stderr.(*os.File); ok && activation.IsTCPSocket(f) {
		stderr = syslogErrors{dial: dialSyslog}
	}
	return stdout, stderr
}

// syslogErrors writes each "redir: ..." error line to syslog, if there is
// one, instead of a stderr no one may see.
type syslogErrors struct {
	dial func(ident string) (syslogWriter, error)
}

func (s syslogErrors) Write(p []byte) (int, error) {
	w, err := s.dial("redir")
	if err != nil {
		return len(p), nil // nowhere to say it, and stderr is not an option
	}
	defer w.Close()
	w.Err(strings.TrimSuffix(strings.TrimPrefix(string(p), "redir: "), "\n"))
	return len(p), nil
}
