package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/redir-project/redir/systemd"
)

// logger writes each message as a line to stderr and, when stderr goes
// nowhere (systemd runs generators with it on /dev/null), to the kernel
// log, which the journal reads, as systemd.generator(7) advises. Where
// there is no /dev/kmsg (systemd-nspawn hides it) it sends to journald's
// socket instead, when that exists: on a daemon-reload, which is when an
// administrator is there to read the message.
type logger struct {
	stderr io.Writer
	system func(msg string) // nil: stderr is enough
}

// newLogger sets up a logger for stderr; kmsg and journal are the paths of
// the kernel log device and journald's socket.
func newLogger(stderr *os.File, kmsg, journal string) *logger {
	l := &logger{stderr: stderr}
	if !isDevNull(stderr) {
		return l
	}
	if k, err := os.OpenFile(kmsg, os.O_WRONLY, 0); err == nil {
		// open until the process ends; <28>: facility daemon, priority warning
		l.system = func(msg string) { fmt.Fprintf(k, "<28>%s[%d]: %s\n", ident, os.Getpid(), msg) }
		return l
	}
	if fi, err := os.Stat(journal); err != nil || fi.Mode().Type() != os.ModeSocket {
		return l
	}
	h, err := systemd.NewJournalHandler(systemd.JournalOptions{
		Identifier: ident, Socket: journal, Timeout: 100 * time.Millisecond,
	})
	if err == nil {
		log := slog.New(h)
		l.system = func(msg string) { log.Warn(msg) }
	}
	return l
}

const ident = "redir-generator"

func (l *logger) printf(format string, args ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	fmt.Fprintf(l.stderr, "%s: %s\n", ident, msg)
	if l.system != nil {
		l.system(msg)
	}
}

// isDevNull reports whether f is /dev/null, or cannot be examined: a
// closed stderr goes nowhere too.
func isDevNull(f *os.File) bool {
	var st, null unix.Stat_t
	if unix.Fstat(int(f.Fd()), &st) != nil {
		return true
	}
	if unix.Stat("/dev/null", &null) != nil {
		return false
	}
	return st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == null.Rdev
}
