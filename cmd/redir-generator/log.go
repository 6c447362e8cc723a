package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/sys/unix"
)

// logger writes each message as a line to stderr and, when stderr goes
// nowhere (systemd runs generators with it on /dev/null), to the kernel
// log, which the journal reads, as systemd.generator(7) advises.
type logger struct {
	stderr io.Writer
	kmsg   io.Writer // nil: not used
}

func newLogger(stderr *os.File) *logger {
	l := &logger{stderr: stderr}
	if isDevNull(stderr) {
		if k, err := os.OpenFile("/dev/kmsg", os.O_WRONLY, 0); err == nil {
			l.kmsg = k // open until the process ends
		}
	}
	return l
}

func (l *logger) printf(format string, args ...any) {
	msg := strings.ReplaceAll(fmt.Sprintf(format, args...), "\n", " ")
	fmt.Fprintf(l.stderr, "redir-generator: %s\n", msg)
	if l.kmsg != nil {
		// <28>: facility daemon, priority warning.
		fmt.Fprintf(l.kmsg, "<28>redir-generator[%d]: %s\n", os.Getpid(), msg)
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
