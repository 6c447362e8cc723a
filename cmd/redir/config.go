package main

import (
	"log/slog"
	"time"

	"github.com/redir-project/redir/cmd/internal/conffile"
	"github.com/redir-project/redir/ftp"
)

// levelNone is the -l none level: above every level a record can have, so a
// handler filtering at it lets nothing through.
const levelNone = slog.Level(1 << 10)

// levelNotice sits between info and warning, like syslog's notice; it is the
// default -l level, as in redir 3.3.
const levelNotice = slog.Level(2)

// config is what the command line (and, later, a config file) says to do.
// The option parser fills one and returns it; nothing else is set by parsing.
type config struct {
	// Listen holds the local addresses to listen on, each "host:port" with
	// the port numeric; an empty host means every address. Empty in -i mode
	// and under socket activation.
	Listen []string
	// Target is "host:port" with the port numeric; the host is non-empty
	// (an empty DST host has already become "localhost").
	Target string
	// Bind is the -b source address for outbound connections, or "".
	Bind string

	Inetd      bool   // -i
	Foreground bool   // -n, or implied by the v2 options, -i or activation
	Syslog     bool   // -s
	Ident      string // -I; "redir" when not given

	// Activated says systemd passed the sockets (LISTEN_FDS for this
	// process), so Listen is empty. The environment says so, not an option.
	Activated bool

	LogLevel slog.Level // -l: levelNone, slog.LevelError, levelNotice, slog.LevelInfo, slog.LevelDebug

	IdleTimeout    time.Duration // -t; zero means none
	ConnectTimeout time.Duration // --connect-timeout; default 10s
	DrainTimeout   time.Duration // --drain-timeout; default 5s
	MaxConns       int           // --max-connections; zero means no limit
	ExitIdleTime   time.Duration // --exit-idle-time; zero means never

	FTP           ftp.Mode    // -f: ftp.Port, ftp.Pasv, ftp.Both, or 0 without -f (opt_ftp.go)
	Shape         shapeConfig // -m, -o, -w, -z (opt_shape.go)
	Transproxy    bool        // -p (opt_outbound.go)
	Connect       string      // -x: HOST:PORT for the CONNECT request, or ""
	ProxyProtocol int         // --proxy-protocol: 1 (v1), 2 (v2), or 0 without it

	// FileLines is the --config file (its Path; Path "" without one) with
	// the lines that gave the values a check at start may refuse (listen,
	// bind, transproxy), so that its error names the line as a parse error
	// does (locate); values from the command line have none.
	FileLines conffile.File
}

// shapeConfig is the traffic shaper's settings; zero MaxBandwidth and
// RandomWait mean no shaping.
type shapeConfig struct {
	MaxBandwidth int64         // -m: bits per second in each shaped direction
	WaitInOut    int           // -o: 1 towards the client, 2 towards the server, 3 both
	RandomWait   time.Duration // -w: mean wait before each packet
	Bufsize      int           // -z: packet size in bytes
}
