package main

import (
	"errors"
	"fmt"

	"github.com/redir-project/redir/cmd/internal/conffile"
)

// --config FILE: an instance config file (redir.conf(5)) fills every option
// the command line did not give. Its listen lines are SRC for a redir that
// binds its own sockets and are ignored when the sockets are inherited
// (systemd or -i). Its target is DST unless the command line gives one:
// with --config, a single positional argument is DST.
//
// An error at start caused by a value the file gave (a listen address in
// use, a bind address the host does not have, transproxy without its
// capability) names the file and line too, as the file's parse errors do:
// config.FileLines has the lines whose values the config took, and run
// locates a valueError with them.

// applyConfigFile checks --config FILE and merges it into c. Every value in
// the file is checked, also one the command line overrides, so that a file
// that works under one command line works under every other. c.conf keeps
// the lines whose values c took: listen, target and the options the
// command line did not give.
func (c *cliArgs) applyConfigFile() error {
	if !c.Config.set {
		return nil
	}
	if c.Config.val == "" {
		return errors.New("invalid --config \"\": want a file name")
	}
	f, err := conffile.Load(c.Config.val)
	var lineErr *conffile.Error
	switch {
	case errors.As(err, &lineErr): // it names the file already
		return err
	case err != nil:
		return fmt.Errorf("--config: %w", err)
	}
	for _, e := range f.Entries {
		if err := c.checkEntry(e); err != nil {
			return f.Err(e, err)
		}
	}
	c.conf = &conffile.File{Path: f.Path}
	for _, e := range f.Entries {
		if c.mergeEntry(e) {
			c.conf.Entries = append(c.conf.Entries, e)
		}
	}
	return nil
}

// checkEntry runs one option from the file through the option parser on
// its own, so that an error is about that line alone.
func (c *cliArgs) checkEntry(e conffile.Entry) error {
	switch e.Key {
	case "listen": // conffile checked it
		return nil
	case "target":
		_, err := targetAddr(e.Value)
		return err
	}
	probe := cliArgs{Inetd: c.Inetd, activated: c.activated, Arg1: optArg{":1", true}}
	if !c.Inetd && !c.activated {
		probe.Arg2 = optArg{":1", true}
	}
	probe.mergeEntry(e)
	_, err := probe.toConfig()
	return err
}

// mergeEntry sets the option e names unless the command line gave it. A
// flag the command line did not give is off there, so the file decides.
// It says whether the file's line counts: it set the option, or it is a
// listen or target line, which fileAddresses takes or not.
func (c *cliArgs) mergeEntry(e conffile.Entry) bool {
	if opt, ok := c.fileOptions()[e.Key]; ok && !opt.set {
		*opt = optArg{val: e.Value, set: true}
		return true
	}
	if flag, ok := c.fileFlags()[e.Key]; ok && e.Value == "true" && !*flag {
		*flag = true
		return true
	}
	return e.Key == "listen" || e.Key == "target"
}

// fileOptions maps the file's keys for options with a value to c's fields.
func (c *cliArgs) fileOptions() map[string]*optArg {
	return map[string]*optArg{
		"bind": &c.Bind, "ftp": &c.FTP, "ident": &c.Ident, "loglevel": &c.LogLevel,
		"timeout": &c.Timeout, "connect": &c.Connect,
		"max-bandwidth": &c.MaxBandwidth, "wait-in-out": &c.WaitInOut,
		"random-wait": &c.RandomWait, "bufsize": &c.Bufsize,
		"connect-timeout": &c.ConnectTimeout, "drain-timeout": &c.DrainTimeout,
		"max-connections": &c.MaxConnections, "exit-idle-time": &c.ExitIdleTime,
		"proxy-protocol": &c.ProxyProtocol,
	}
}

// fileFlags maps the file's boolean keys to c's fields.
func (c *cliArgs) fileFlags() map[string]*bool {
	return map[string]*bool{
		"foreground": &c.Foreground, "transproxy": &c.Transproxy, "syslog": &c.Syslog,
	}
}

// fileAddresses fills Listen and Target with --config when the command
// line has not both SRC and DST: its one positional argument, if any, is
// DST and wins over target; listen lines are SRC unless the sockets are
// inherited, which come from systemd's units or inetd instead.
func (c *cliArgs) fileAddresses(cfg *config) error {
	target := c.Arg1
	if !target.set {
		e, ok := c.conf.Get("target")
		if !ok {
			return fmt.Errorf("%s has no target line, and the command line gives no [DST]:PORT", c.conf.Path)
		}
		target = optArg{val: e.Value, set: true}
	}
	var err error
	if cfg.Target, err = targetAddr(target.val); err != nil {
		return err
	}
	if c.Inetd || c.activated {
		return nil
	}
	for _, e := range c.conf.Entries {
		if e.Key == "listen" {
			cfg.Listen = append(cfg.Listen, e.Listen.Net())
			cfg.FileLines.Entries = append(cfg.FileLines.Entries, e)
		}
	}
	if len(cfg.Listen) == 0 {
		return fmt.Errorf("%s has no listen line: give one there, or [SRC]:PORT [DST]:PORT on the command line", c.conf.Path)
	}
	return nil
}

// noteFileLines adds to cfg.FileLines the lines of keys whose values c
// took from the --config file.
func (c *cliArgs) noteFileLines(cfg *config, keys ...string) {
	if c.conf == nil {
		return
	}
	for _, k := range keys {
		if e, ok := c.conf.Get(k); ok {
			cfg.FileLines.Entries = append(cfg.FileLines.Entries, e)
		}
	}
}

// A valueError is a failure at start caused by one option's value, such
// as a -b address the host does not have. Its text is err's.
type valueError struct {
	key   string // the option's config file key: "listen", "bind", "transproxy"
	value string // as in config; for listen, the address, which tells the lines apart
	err   error
}

func (e *valueError) Error() string { return e.err.Error() }
func (e *valueError) Unwrap() error { return e.err }

// locate returns err with the file, line and key of the value that
// caused it (a valueError in its chain) when one of lines gave that value,
// as the file's parse errors have them; else err as it is.
func locate(lines conffile.File, err error) error {
	var ve *valueError
	if !errors.As(err, &ve) {
		return err
	}
	for _, e := range lines.Entries {
		if e.Key == ve.key && (e.Key != "listen" || e.Listen.Net() == ve.value) {
			return lines.Err(e, err)
		}
	}
	return err
}
