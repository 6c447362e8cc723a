package main

import (
	"errors"
	"fmt"
)

// The command line when the sockets are inherited: -i (inetd passes one on
// stdin) or socket activation (systemd passes them from fd 3).

// inheritedTarget reads the one positional argument, [DST]:PORT: the
// listening side is the inherited socket, so a SRC is an error.
func (c *cliArgs) inheritedTarget(cfg *config) error {
	if !c.Arg1.set {
		return fmt.Errorf("missing argument: want [DST]:PORT %s", c.srcComesFrom())
	}
	if c.Arg2.set {
		return fmt.Errorf("too many arguments: want only [DST]:PORT %s; got %q and %q",
			c.srcComesFrom(), c.Arg1.val, c.Arg2.val)
	}
	var err error
	cfg.Target, err = targetAddr(c.Arg1.val)
	return err
}

// srcComesFrom says why there is no SRC, for errors.
func (c *cliArgs) srcComesFrom() string {
	if c.Inetd {
		return "with -i: SRC is the socket on stdin"
	}
	return "under socket activation: SRC comes from the sockets systemd passes"
}

// exitIdle checks --exit-idle-time. Only a redirector whose sockets stay
// with someone else (systemd, inetd wait) may exit while idle: one that
// bound its own would leave its port closed.
func (c *cliArgs) exitIdle(cfg *config) error {
	if !c.ExitIdleTime.set {
		return nil
	}
	d, err := parseSeconds(c.ExitIdleTime, "--exit-idle-time", 0)
	if err != nil {
		return err
	}
	if d == 0 {
		return fmt.Errorf("invalid --exit-idle-time %q: must be more than 0", c.ExitIdleTime.val)
	}
	if !c.Inetd && !c.activated {
		return errors.New("--exit-idle-time applies only under socket activation or -i: " +
			"a redirector that binds its own port would close it when it exits")
	}
	cfg.ExitIdleTime = d
	return nil
}
