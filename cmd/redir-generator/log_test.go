package main

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestLoggerStderr: a line on stderr, and the same message, on one line,
// for the system log when there is one.
func TestLoggerStderr(t *testing.T) {
	var stderr bytes.Buffer
	var system []string
	l := &logger{stderr: &stderr, system: func(m string) { system = append(system, m) }}
	l.printf("skipping %s: %v", "/etc/redir/a.conf", "two\nlines")
	if stderr.String() != "redir-generator: skipping /etc/redir/a.conf: two lines\n" {
		t.Errorf("stderr %q", stderr.String())
	}
	if len(system) != 1 || system[0] != "skipping /etc/redir/a.conf: two lines" {
		t.Errorf("system log got %q", system)
	}
}

// devNull opens /dev/null for writing, as systemd gives generators stderr.
func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestLoggerKmsg: with stderr on /dev/null, messages go to the kernel log
// as "<priority>identifier[pid]: message", which journald reads.
func TestLoggerKmsg(t *testing.T) {
	kmsg := filepath.Join(t.TempDir(), "kmsg")
	if err := os.WriteFile(kmsg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	newLogger(devNull(t), kmsg, "/nonexistent").printf("skipping x.conf: no listen line")
	b, _ := os.ReadFile(kmsg)
	if !regexp.MustCompile(`^<28>redir-generator\[[0-9]+\]: skipping x\.conf: no listen line\n$`).Match(b) {
		t.Errorf("kmsg got %q", b)
	}
}

// TestLoggerJournal: without /dev/kmsg (as in systemd-nspawn), messages go
// to journald's socket, with the generator's identifier.
func TestLoggerJournal(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "journal")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	newLogger(devNull(t), "/nonexistent/kmsg", sock).printf("skipping y.conf")
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	b := make([]byte, 4096)
	n, err := c.Read(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"MESSAGE=skipping y.conf\n", "SYSLOG_IDENTIFIER=redir-generator\n", "PRIORITY=4\n"} {
		if !strings.Contains(string(b[:n]), field) {
			t.Errorf("journal entry %q lacks %q", b[:n], field)
		}
	}
}

// TestLoggerStderrOnly: when stderr is something, it is the only place.
func TestLoggerStderrOnly(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	kmsg := filepath.Join(t.TempDir(), "kmsg")
	os.WriteFile(kmsg, nil, 0o600)
	l := newLogger(f, kmsg, "/nonexistent")
	if l.system != nil || !isDevNull(devNull(t)) || isDevNull(f) {
		t.Errorf("a file as stderr: system log %v, isDevNull(/dev/null) %v, isDevNull(file) %v",
			l.system != nil, isDevNull(devNull(t)), isDevNull(f))
	}
}
