package systemd

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// The variables systemd sets for sd_notify(3) and sd_watchdog_enabled(3).
const (
	envNotify      = "NOTIFY_SOCKET"
	envWatchdogSec = "WATCHDOG_USEC"
	envWatchdogPID = "WATCHDOG_PID"
)

// notifyTimeout bounds one notification: systemd reads its socket
// promptly, and a stuck manager must not stall the caller.
const notifyTimeout = time.Second

// A Notifier tells systemd about the service's state over sd_notify.
// Without NOTIFY_SOCKET (not under systemd, or not Type=notify) every
// method does nothing and returns nil; so does a nil *Notifier.
//
// systemd takes notifications only from the unit's main process unless
// the unit says NotifyAccess=all: make the Notifier in the process that
// serves, after any re-exec into the background.
type Notifier struct {
	addr     *net.UnixAddr // nil: not under systemd
	watchdog time.Duration // half of WATCHDOG_USEC; 0: no watchdog
}

// NewNotifier reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and
// removes them from the environment, so that no child process (a hook, a
// shell) takes systemd's messages for its own or pings for this one. The
// error says which variable is malformed; the environment is cleared
// either way.
func NewNotifier() (*Notifier, error) {
	sock := os.Getenv(envNotify)
	usec := os.Getenv(envWatchdogSec)
	pid := os.Getenv(envWatchdogPID)
	for _, k := range []string{envNotify, envWatchdogSec, envWatchdogPID} {
		os.Unsetenv(k)
	}
	if sock == "" {
		return &Notifier{}, nil
	}
	if sock[0] != '/' && sock[0] != '@' {
		return nil, fmt.Errorf("systemd: %s=%q is neither an absolute path nor an abstract @name", envNotify, sock)
	}
	n := &Notifier{addr: &net.UnixAddr{Name: sock, Net: "unixgram"}}
	if usec == "" || (pid != "" && pid != strconv.Itoa(os.Getpid())) {
		return n, nil
	}
	us, err := strconv.ParseUint(usec, 10, 63)
	if err != nil || us > uint64(1<<63-1)/1000 {
		return nil, fmt.Errorf("systemd: %s=%q is not a number of microseconds", envWatchdogSec, usec)
	}
	n.watchdog = time.Duration(us) * time.Microsecond / 2
	return n, nil
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// WatchdogInterval is how often to call Watchdog: half of WATCHDOG_USEC,
// or 0 when systemd watches no process or another one (WATCHDOG_PID).
func (n *Notifier) WatchdogInterval() time.Duration {
	if !n.Enabled() {
		return 0
	}
	return n.watchdog
}

// Ready says that the service is up: READY=1.
func (n *Notifier) Ready() error { return n.Notify("READY=1") }

// Stopping says that the service is shutting down: STOPPING=1.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Watchdog keeps systemd's watchdog from firing: WATCHDOG=1.
func (n *Notifier) Watchdog() error { return n.Notify("WATCHDOG=1") }

// Status sets the line systemctl status shows: STATUS=s, with any
// newline in s made a space, since a newline starts another assignment.
func (n *Notifier) Status(s string) error {
	return n.Notify("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// Notify sends assignments ("READY=1", "STATUS=...") in one message.
func (n *Notifier) Notify(assignments ...string) error {
	if !n.Enabled() || len(assignments) == 0 {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	c.SetWriteDeadline(time.Now().Add(notifyTimeout))
	if _, err := c.Write([]byte(strings.Join(assignments, "\n"))); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// Run keeps systemd informed until ctx is done: STATUS=status() at once
// and then every interval when it changed (never when status is nil or
// every is not positive), and WATCHDOG=1 at once and then every
// WatchdogInterval. It returns at once when there is nothing to send.
// Send errors are not reported: systemd going away is not the service's
// to fix, and a missed watchdog ping is handled by systemd.
func Run(ctx context.Context, n *Notifier, status func() string, every time.Duration) {
	if status == nil {
		every = 0
	}
	dog := n.WatchdogInterval()
	if !n.Enabled() || (every <= 0 && dog <= 0) || ctx.Err() != nil {
		return
	}
	statusC, stopStatus := ticker(every)
	defer stopStatus()
	dogC, stopDog := ticker(dog)
	defer stopDog()
	last := ""
	if every > 0 {
		last = status()
		n.Status(last)
	}
	if dog > 0 {
		n.Watchdog()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-dogC:
			n.Watchdog()
		case <-statusC:
			if s := status(); s != last {
				last = s
				n.Status(s)
			}
		}
	}
}

// ticker returns a channel ticking every d, or nil (never ready) when d
// is not positive, and the function stopping it.
func ticker(d time.Duration) (<-chan time.Time, func()) {
	if d <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}
