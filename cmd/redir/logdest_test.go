package main

import (
	"bytes"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// logDestCase is one mix of -s, -n (not background), the background, a
// journal stream on stderr and journald's socket, and where a record
// should go: "journal", "syslog", "stderr" or "" (nowhere).
type logDestCase struct {
	name               string
	syslog, background bool
	journal, stream    bool
	level              slog.Level
	want               string
}

// TestLogDestination: where newLogger sends records, for each mix. The
// journald socket is the test's own, read back datagram by datagram;
// syslog is a recording stand-in.
func TestLogDestination(t *testing.T) {
	for _, tt := range []logDestCase{
		{name: "-n", want: "stderr"},
		{name: "-n, journald runs", journal: true, want: "stderr"},
		{name: "-n, stderr is the journal", journal: true, stream: true, want: "journal"},
		{name: "-n, stderr is the journal, no socket", stream: true, want: "stderr"},
		{name: "-n -s, journald runs", syslog: true, journal: true, want: "journal"},
		{name: "-n -s", syslog: true, want: "syslog"},
		{name: "background, journald runs", background: true, journal: true, want: "journal"},
		{name: "background", background: true, want: "syslog"},
		{name: "-l none, stderr is the journal", journal: true, stream: true, level: levelNone, want: ""},
	} {
		t.Run(tt.name, func(t *testing.T) { checkLogDest(t, tt) })
	}
}

func checkLogDest(t *testing.T, tt logDestCase) {
	var stderr bytes.Buffer
	var syslogged []string
	dest := logDest{background: tt.background, journalStream: tt.stream,
		dialSyslog: func(string) (syslogWriter, error) { return &fakeSyslog{lines: &syslogged}, nil }}
	if !tt.background {
		dest.stderr = &stderr
	}
	var journal *net.UnixConn
	if tt.journal {
		journal = listenJournal(t)
		dest.journal = journal.LocalAddr().String()
	}
	cfg := config{Ident: "dest-test", LogLevel: tt.level, Syslog: tt.syslog}
	log, closeLog, err := newLogger(cfg, dest)
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hello", "bytes_from_client", 5)
	closeLog()
	got := map[string]bool{
		"stderr":  strings.Contains(stderr.String(), "hello bytes_from_client=5"),
		"syslog":  len(syslogged) == 1 && syslogged[0] == "info hello bytes_from_client=5",
		"journal": journal != nil && readJournal(journal) != "",
	}
	for where, ok := range got {
		if ok != (where == tt.want) {
			t.Errorf("record in %s: %v; want it only in %q", where, ok, tt.want)
		}
	}
}

// listenJournal is a datagram socket standing for journald's.
func listenJournal(t *testing.T) *net.UnixConn {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: filepath.Join(t.TempDir(), "journal"), Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readJournal returns the entry waiting on c, "" when none comes within a
// short while, or one without the fields a record must have.
func readJournal(c *net.UnixConn) string {
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	e := string(buf[:max(n, 0)])
	if err != nil || !strings.Contains(e, "MESSAGE=hello\n") || !strings.Contains(e, "SYSLOG_IDENTIFIER=dest-test\n") ||
		!strings.Contains(e, "BYTES_FROM_CLIENT=5\n") || !strings.Contains(e, "PRIORITY=6\n") {
		return ""
	}
	return e
}

// fakeSyslog records "priority line" for each record.
type fakeSyslog struct{ lines *[]string }

func (f *fakeSyslog) add(p, m string) error  { *f.lines = append(*f.lines, p+" "+m); return nil }
func (f *fakeSyslog) Err(m string) error     { return f.add("err", m) }
func (f *fakeSyslog) Warning(m string) error { return f.add("warning", m) }
func (f *fakeSyslog) Notice(m string) error  { return f.add("notice", m) }
func (f *fakeSyslog) Info(m string) error    { return f.add("info", m) }
func (f *fakeSyslog) Debug(m string) error   { return f.add("debug", m) }
func (f *fakeSyslog) Close() error           { return nil }
