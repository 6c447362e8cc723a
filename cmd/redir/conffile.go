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

// applyConfigFile checks --config FILE and merges it into c. Every value in
// the file is checked, also one the command line overrides, so that a file
// that works under one command line works under every other.
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
	for _, e := range f.Entries {
		c.mergeEntry(e)
	}
	c.conf = f
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
func (c *cliArgs) mergeEntry(e conffile.Entry) {
	if opt, ok := c.fileOptions()[e.Key]; ok && !opt.set {
		*opt = optArg{val: e.Value, set: true}
	}
	if flag, ok := c.fileFlags()[e.Key]; ok && e.Value == "true" {
		*flag = true
	}
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
	for _, l := range c.conf.Listen() {
		cfg.Listen = append(cfg.Listen, l.Net())
	}
	if len(cfg.Listen) == 0 {
		return fmt.Errorf("%s has no listen line: give one there, or [SRC]:PORT [DST]:PORT on the command line", c.conf.Path)
	}
	return nil
}
