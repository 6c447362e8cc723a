package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redir-project/redir/activation"
	"github.com/redir-project/redir/forward"
)

// exitRule says when a redirector on inherited sockets ends by itself,
// with status 0. The zero rule never ends it.
type exitRule struct {
	// conns: once this many connections were accepted and none is open.
	// Set when every listener is a ConnListener (systemd Accept=yes, inetd
	// nowait): there is nothing else to serve.
	conns uint64
	// idle: after this long with no connection open (--exit-idle-time).
	// The sockets stay with systemd or inetd, which start redir again on
	// the next client.
	idle time.Duration
}

func exitRuleFor(cfg config, lns []net.Listener) exitRule {
	r := exitRule{idle: cfg.ExitIdleTime}
	for _, ln := range lns {
		if _, ok := ln.(*activation.ConnListener); !ok {
			return r
		}
	}
	r.conns = uint64(len(lns))
	return r
}

// pollEvery is how often watchExit looks at the counters: often enough
// that a connection's end or the idle time is acted on within a few
// percent, rarely enough to cost nothing.
func (r exitRule) pollEvery() time.Duration {
	if r.conns > 0 {
		return 20 * time.Millisecond
	}
	return min(max(r.idle/20, 10*time.Millisecond), 250*time.Millisecond)
}

// watchExit polls f's counters and calls stop when rule says the work is
// done. It watches until then or until quit is closed; the returned
// channel is closed when it has stopped. Forward knows nothing of this:
// its Stats are all it needs.
func watchExit(quit <-chan struct{}, stop func(), f *forward.Forwarder, rule exitRule, log *slog.Logger) <-chan struct{} {
	done := make(chan struct{})
	if rule == (exitRule{}) {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(rule.pollEvery())
		defer tick.Stop()
		busy, seen := time.Now(), uint64(0)
		for {
			select {
			case <-quit:
				return
			case now := <-tick.C:
				st := f.Stats()
				if st.Open > 0 || st.Total != seen {
					busy, seen = now, st.Total
				}
				if why, level := rule.done(st, now.Sub(busy)); why != "" {
					log.Log(context.Background(), level, why+", exiting")
					stop()
					return
				}
			}
		}
	}()
	return done
}

// done says why the work is done, or "" while it is not, and at what
// level to say it: a connection's end is routine (one process per
// connection), an idle exit is worth a notice.
func (r exitRule) done(st forward.StatsSnapshot, idle time.Duration) (string, slog.Level) {
	switch {
	case st.Open > 0:
		return "", 0
	case r.conns > 0 && st.Total >= r.conns:
		return "connection done", slog.LevelInfo
	case r.idle > 0 && idle >= r.idle:
		return fmt.Sprintf("no connection for %v", r.idle), levelNotice
	}
	return "", 0
}
