package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redir-project/redir/forward"
	"github.com/redir-project/redir/systemd"
)

// What the process that serves tells systemd over sd_notify, when the
// unit is Type=notify (NOTIFY_SOCKET is set): READY=1 once every socket
// is served, STATUS= with the counters, STOPPING=1 when a shutdown
// starts, WATCHDOG=1 when the unit sets WatchdogSec. Without
// NOTIFY_SOCKET all of it is silent.

// statusEvery is how often the STATUS= line is refreshed (and sent only
// when it changed).
const statusEvery = time.Second

// newNotifier reads NOTIFY_SOCKET and the watchdog's variables, removing
// them from the environment. Call it only in the process that serves:
// systemd takes notifications from the unit's main process, and a parent
// about to start the daemon must leave the variables to its child. A
// malformed variable is logged and ignored; the nil Notifier returned then
// sends nothing.
func newNotifier(log *slog.Logger) *systemd.Notifier {
	n, err := systemd.NewNotifier()
	if err != nil {
		log.Warn("not notifying systemd: "+err.Error(), "error", err.Error())
	}
	return n
}

// notifyReady sends READY=1; a failure is worth a warning, since systemd
// will give up on the service after its start timeout.
func notifyReady(n *systemd.Notifier, log *slog.Logger) {
	if err := n.Ready(); err != nil {
		log.Warn("cannot tell systemd it is ready: "+err.Error(), "error", err.Error())
	}
}

// stopper returns stop preceded, the first time, by STOPPING=1: systemd
// then knows the drain that follows is a shutdown, not a hang.
func stopper(n *systemd.Notifier, stop context.CancelFunc) func() {
	stopping := sync.OnceFunc(func() { n.Stopping() })
	return func() {
		stopping()
		stop()
	}
}

// keepInformed keeps STATUS= current with f's counters and pings the
// watchdog until the returned function is called, which waits for it to
// end. It has a context of its own, ended after Serve returns, so that
// the pings go on while open connections drain.
func keepInformed(n *systemd.Notifier, f *forward.Forwarder) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		systemd.Run(ctx, n, func() string { return statusLine(f.Stats()) }, statusEvery)
	}()
	return func() {
		cancel()
		<-done
	}
}

// statusLine is what systemctl status shows as the service's Status:
// bytes are counted when a connection ends.
func statusLine(st forward.StatsSnapshot) string {
	return fmt.Sprintf("%d open, %d total connections; %d bytes from clients, %d bytes from targets",
		st.Open, st.Total, st.FromClient, st.FromTarget)
}
