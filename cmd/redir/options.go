package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"

	"github.com/alecthomas/kong"

	"github.com/redir-project/redir/cmd/internal/conffile"
	"github.com/redir-project/redir/forward"
)

const (
	maxInt                = math.MaxInt
	defaultConnectTimeout = forward.DefaultDialTimeout
	defaultDrainTimeout   = forward.DefaultDrainTimeout
)

// cliArgs mirrors redir 3.3's command line. Only kong writes it; toConfig
// turns it into a config. Values are kept as typed (optArg) so that every
// error can quote the value the user gave.
type cliArgs struct {
	Bind       optArg `name:"bind" short:"b" aliases:"bind_addr"`
	FTP        optArg `name:"ftp" short:"f"`
	Help       bool   `name:"help" short:"h"`
	Inetd      bool   `name:"inetd" short:"i"`
	Ident      optArg `name:"ident" short:"I" aliases:"name"`
	LogLevel   optArg `name:"loglevel" short:"l"`
	Foreground bool   `name:"foreground" short:"n"`
	Transproxy bool   `name:"transproxy" short:"p"`
	Syslog     bool   `name:"syslog" short:"s"`
	Timeout    optArg `name:"timeout" short:"t"`
	Version    bool   `name:"version" short:"v"`
	Connect    optArg `name:"connect" short:"x"`

	MaxBandwidth optArg `name:"max-bandwidth" short:"m" aliases:"max_bandwidth"`
	WaitInOut    optArg `name:"wait-in-out" short:"o" aliases:"wait_in_out"`
	RandomWait   optArg `name:"random-wait" short:"w" aliases:"random_wait"`
	Bufsize      optArg `name:"bufsize" short:"z"`

	ConnectTimeout optArg `name:"connect-timeout"`
	DrainTimeout   optArg `name:"drain-timeout"`
	MaxConnections optArg `name:"max-connections"`
	ExitIdleTime   optArg `name:"exit-idle-time"`
	ProxyProtocol  optArg `name:"proxy-protocol"`
	Config         optArg `name:"config"`

	// The redir 2.x syntax, always available; it implies -n.
	Laddr optArg `name:"laddr"`
	Lport optArg `name:"lport"`
	Caddr optArg `name:"caddr"`
	Cport optArg `name:"cport"`

	// Two single positionals rather than one slice: kong lets flags sit
	// between single positionals (getopt permutes too), not inside a slice.
	Arg1 optArg `arg:"" optional:"" name:"src"`
	Arg2 optArg `arg:"" optional:"" name:"dst"`

	// activated is not an option: systemd passed sockets (LISTEN_FDS), so
	// SRC is not given. parseCommandLine sets it before kong runs.
	activated bool `kong:"-"`
	// conf is the --config file once applyConfigFile has merged it.
	conf *conffile.File `kong:"-"`
}

// optArg is an option value as typed, and whether it was given at all, so
// that an empty value differs from none. Like getopt, a value is the next
// argument whatever it looks like: "-t -5" is a bad timeout, not option -5.
type optArg struct {
	val string
	set bool
}

// Decode implements kong.MapperValue.
func (a *optArg) Decode(ctx *kong.DecodeContext) error {
	t := ctx.Scan.Pop()
	if t.IsEOL() {
		return errors.New("missing value")
	}
	a.val, a.set = t.String(), true
	return nil
}

// exitRequest is what the kong.Exit hook panics with, so that nothing in
// kong can end the process from inside parsing; parse recovers it.
type exitRequest struct{ code int }

// parseArgs parses the command line (args without argv[0]). done is true when -h or -v printed
// their text to stdout and the program should exit 0. err is a one-line usage error naming the
// bad value; main prints "redir: <err>" to stderr and exits 2.
func parseArgs(args []string, stdout io.Writer) (cfg config, done bool, err error) {
	return parseCommandLine(args, stdout, false)
}

// parseCommandLine is parseArgs for a process systemd may have passed
// sockets to: when activated, the sockets are the listening side and the
// one positional argument is [DST]:PORT, as with -i.
func parseCommandLine(args []string, stdout io.Writer, activated bool) (cfg config, done bool, err error) {
	c := cliArgs{activated: activated}
	if err := c.parse(args, stdout); err != nil {
		return config{}, false, err
	}
	switch {
	case c.Help:
		_, err = io.WriteString(stdout, usageText)
		return config{}, err == nil, err
	case c.Version:
		_, err = fmt.Fprintf(stdout, "redir %s\n", version)
		return config{}, err == nil, err
	}
	if err := c.applyConfigFile(); err != nil {
		return config{}, false, err
	}
	if cfg, err = c.toConfig(); err != nil {
		return config{}, false, err
	}
	return cfg, false, nil
}

// parse fills c from args with kong. Help and version are plain flags that
// parseArgs handles, so kong never prints or exits on its own.
func (c *cliArgs) parse(args []string, stdout io.Writer) (err error) {
	p, err := kong.New(c,
		kong.Name("redir"),
		kong.NoDefaultHelp(),
		kong.Writers(stdout, io.Discard),
		kong.Exit(func(code int) { panic(exitRequest{code}) }),
	)
	if err != nil {
		return fmt.Errorf("building the option parser: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(exitRequest)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("option parser tried to exit with status %d", e.code)
		}
	}()
	_, err = p.Parse(args)
	return err
}

// toConfig checks every value and builds the config. Values of options that
// belong to a feature are checked in that feature's file (opt_*.go).
func (c *cliArgs) toConfig() (config, error) {
	cfg := config{
		Inetd:      c.Inetd,
		Activated:  c.activated,
		Foreground: c.Foreground || c.Inetd || c.activated, // nothing to fork for
		Syslog:     c.Syslog,
		Ident:      "redir",
	}
	if c.conf != nil {
		cfg.FileLines.Path = c.conf.Path
	}
	steps := []func(*config) error{
		c.logging, c.timeouts, c.exitIdle, c.bind, c.addresses,
		c.ftpOptions, c.shapeOptions, c.outboundOptions,
	}
	for _, step := range steps {
		if err := step(&cfg); err != nil {
			return config{}, err
		}
	}
	return cfg, nil
}

// logging checks -I and -l.
func (c *cliArgs) logging(cfg *config) error {
	if c.Ident.set {
		if c.Ident.val == "" {
			return errors.New("invalid -I/--ident \"\": want a name")
		}
		cfg.Ident = c.Ident.val
	}
	cfg.LogLevel = levelNotice
	if !c.LogLevel.set {
		return nil
	}
	level, ok := map[string]slog.Level{
		"none":   levelNone,
		"err":    slog.LevelError,
		"notice": levelNotice,
		"info":   slog.LevelInfo,
		"debug":  slog.LevelDebug,
	}[c.LogLevel.val]
	if !ok {
		return fmt.Errorf("unknown log level %q: want none, err, notice, info or debug", c.LogLevel.val)
	}
	cfg.LogLevel = level
	return nil
}

// timeouts checks -t, --connect-timeout, --drain-timeout and
// --max-connections.
func (c *cliArgs) timeouts(cfg *config) error {
	var err error
	if cfg.IdleTimeout, err = parseSeconds(c.Timeout, "-t/--timeout", 0); err != nil {
		return err
	}
	cfg.ConnectTimeout, err = parseSeconds(c.ConnectTimeout, "--connect-timeout", defaultConnectTimeout)
	if err != nil {
		return err
	}
	if cfg.ConnectTimeout == 0 {
		return fmt.Errorf("invalid --connect-timeout %q: must be more than 0", c.ConnectTimeout.val)
	}
	cfg.DrainTimeout, err = parseSeconds(c.DrainTimeout, "--drain-timeout", defaultDrainTimeout)
	if err != nil {
		return err
	}
	cfg.MaxConns, err = parseInt(c.MaxConnections, "--max-connections", 0, maxInt)
	return err
}

// bind checks -b: a literal address; whether the host has it is for the
// runner to find out.
func (c *cliArgs) bind(cfg *config) error {
	if !c.Bind.set {
		return nil
	}
	ip, err := parseIP(c.Bind.val)
	if err != nil {
		return fmt.Errorf("invalid -b/--bind address %q: want an IPv4 or IPv6 address", c.Bind.val)
	}
	cfg.Bind = ip
	c.noteFileLines(cfg, "bind")
	return nil
}
