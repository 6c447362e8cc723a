package main

import (
	"fmt"

	"github.com/redir-project/redir/forward"
)

// shapeOptions checks -m, -o, -w and -z.
func (c *cliArgs) shapeOptions(cfg *config) error {
	checks := []struct {
		arg    optArg
		name   string
		lo, hi int
	}{
		{c.MaxBandwidth, "-m/--max-bandwidth", 1, maxInt},
		{c.WaitInOut, "-o/--wait-in-out", 1, 3},
		{c.RandomWait, "-w/--random-wait", 0, maxInt},
		{c.Bufsize, "-z/--bufsize", 256, maxInt},
	}
	for _, ck := range checks {
		if _, err := parseInt(ck.arg, ck.name, ck.lo, ck.hi); err != nil {
			return err
		}
	}
	for _, ck := range checks {
		if ck.arg.set {
			return fmt.Errorf("%s is %w", ck.name, errNotSupported)
		}
	}
	return nil
}

// shapeWrap is the traffic shaper -m and -w ask for, or nil.
func shapeWrap(cfg config, f *forward.Forwarder) wrapFunc {
	return nil
}
