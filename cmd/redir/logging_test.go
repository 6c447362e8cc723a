package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"log/syslog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogInfoDisconnectRecord(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "-I", "webfwd", addr, backend)
	p.waitLog(t, "listening on "+addr+", forwarding to "+backend)
	c := dialRetry(t, addr)
	roundTrip(t, c, "hello")
	client := c.LocalAddr().String()
	c.Close()
	p.waitLog(t, "Disconnect")
	var record string
	for _, line := range strings.Split(p.Stderr.String(), "\n") {
		if strings.Contains(line, "Disconnect") {
			record = line
		}
	}
	for _, want := range []string{"webfwd[", "]: INFO ", "client=" + client, "target=" + backend,
		"bytes_from_client=5", "bytes_from_target=5", "reason=eof"} {
		if !strings.Contains(record, want) {
			t.Errorf("record %q lacks %q", record, want)
		}
	}
}

func TestLogNonePrintsNothing(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "none", addr, backend)
	c := dialRetry(t, addr)
	roundTrip(t, c, "quiet")
	c.Close()
	p.stopOK(t)
	if s := p.Stderr.String(); s != "" {
		t.Fatalf("-l none printed %q", s)
	}
}

func TestLogErrShowsDialError(t *testing.T) {
	target := freeAddr(t, "127.0.0.1") // nothing listens: refused
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "err", addr, target)
	c := dialRetry(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatalf("read %d bytes from a refused target", n)
	}
	p.waitLog(t, "connection refused")
	s := p.Stderr.String()
	for _, want := range []string{"ERROR", `reason="dial error"`, "target=" + target} {
		if !strings.Contains(s, want) {
			t.Errorf("stderr lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "NOTICE") {
		t.Errorf("-l err printed notice records:\n%s", s)
	}
}

func TestLineHandlerFormat(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(newLineHandler(slog.LevelInfo, newStderrSink(&buf, "fwd")))
	log.Debug("hidden")
	log.With("conn", 7).WithGroup("g").Log(context.Background(), levelNotice, "hello world",
		"text", "two words", "empty", "", "d", 1500*time.Millisecond, slog.Group("sub", "n", 1))
	out := buf.String()
	if strings.Count(out, "\n") != 1 {
		t.Fatalf("want one line, got %q", out)
	}
	want := `]: NOTICE hello world conn=7 g.text="two words" g.empty="" g.d=1.5s g.sub.n=1` + "\n"
	if !strings.HasSuffix(out, want) || !strings.Contains(out, " fwd[") {
		t.Fatalf("got %q, want it to end with %q", out, want)
	}
	if _, err := time.Parse("2006-01-02 15:04:05.000", out[:23]); err != nil {
		t.Errorf("line does not start with the time: %q", out)
	}
}

// TestSyslogPriorities sends records through a real log/syslog writer to a
// datagram socket standing in for /dev/log and checks their priorities:
// facility daemon (3), severity from the level.
func TestSyslogPriorities(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	w, err := syslog.Dial("unixgram", path, syslog.LOG_DAEMON|syslog.LOG_NOTICE, "fwd")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	log := slog.New(newLineHandler(slog.LevelDebug, syslogSink{w}))
	for _, tc := range []struct {
		level slog.Level
		pri   string
	}{
		{slog.LevelError, "<27>"}, {slog.LevelWarn, "<28>"}, {levelNotice, "<29>"},
		{slog.LevelInfo, "<30>"}, {slog.LevelDebug, "<31>"},
	} {
		log.Log(context.Background(), tc.level, "msg", "k", "v")
		sock.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 1024)
		n, err := sock.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got := string(buf[:n])
		if !strings.HasPrefix(got, tc.pri) || !strings.Contains(got, " fwd[") || !strings.HasSuffix(strings.TrimSpace(got), "msg k=v") {
			t.Errorf("%v: got %q, want priority %s, tag fwd and \"msg k=v\"", levelName(tc.level), got, tc.pri)
		}
	}
}

func TestNewLoggerDestinations(t *testing.T) {
	noSyslog := func(string) (syslogWriter, error) { return nil, errors.New("no /dev/log") }
	cfg := config{Ident: "redir", LogLevel: levelNotice, Syslog: true}

	var stderr bytes.Buffer
	log, closeLog, err := newLogger(cfg, logDest{stderr: &stderr, dialSyslog: noSyslog})
	if err != nil {
		t.Fatal(err)
	}
	closeLog()
	log.Log(context.Background(), levelNotice, "after fallback")
	if s := stderr.String(); !strings.Contains(s, "WARN cannot reach syslog, logging to stderr") || !strings.Contains(s, "after fallback") {
		t.Errorf("foreground -s without syslog: stderr %q", s)
	}

	if _, _, err := newLogger(cfg, logDest{background: true, dialSyslog: noSyslog}); err == nil ||
		!strings.Contains(err.Error(), "cannot reach syslog: no /dev/log") {
		t.Errorf("background without syslog: got %v", err)
	}

	cfg.LogLevel = levelNone
	dialed := false
	log, _, err = newLogger(cfg, logDest{background: true, dialSyslog: func(string) (syslogWriter, error) {
		dialed = true
		return nil, errors.New("unreachable")
	}})
	if err != nil || dialed || log.Enabled(context.Background(), slog.LevelError) {
		t.Errorf("-l none: err %v, syslog dialled %v, logger enabled %v", err, dialed, log.Enabled(context.Background(), slog.LevelError))
	}
}
