package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"strconv"
	"sync"
	"time"
	"unicode"

	"github.com/redir-project/redir/systemd"
)

// syslogWriter is the part of *syslog.Writer the syslog handler uses.
type syslogWriter interface {
	Err(m string) error
	Warning(m string) error
	Notice(m string) error
	Info(m string) error
	Debug(m string) error
	Close() error
}

// logDest says where records may go.
type logDest struct {
	stderr     io.Writer // the foreground destination; nil in the background
	background bool
	dialSyslog func(ident string) (syslogWriter, error)
	// journal is journald's socket, "" when there is none.
	journal string
	// journalStream says stderr is connected to the journal (systemd's
	// StandardError=journal, JOURNAL_STREAM).
	journalStream bool
}

// osLogDest is where records may go from this process: stderr (nil in the
// background), syslog, journald when its socket exists. It looks at fd 2
// for the journal stream, so it must be called before -i points fd 2 at
// /dev/null (activation.Stdin).
func osLogDest(stderr io.Writer) logDest {
	d := logDest{stderr: stderr, background: stderr == nil, dialSyslog: dialSyslog, journalStream: systemd.JournalStream()}
	if systemd.JournalAvailable() {
		d.journal = systemd.JournalSocket
	}
	return d
}

// dialSyslog connects to the local syslog daemon, facility daemon, tagging
// records with ident as redir 3.3 does.
func dialSyslog(ident string) (syslogWriter, error) {
	return syslog.New(syslog.LOG_DAEMON|syslog.LOG_NOTICE, ident)
}

// newLogger returns the logger cfg asks for and a function closing its
// destination. -l none discards everything and opens nothing. Records go to
// journald, with one field per attribute, when stderr is connected to the
// journal (even with -n: that is where stderr goes anyway) and where they
// would go to syslog when journald runs. They go to syslog with -s and in
// the background (as in redir 3.3), else to stderr.
//
// Without a syslog daemon (no /dev/log, as in many containers): in the
// foreground, records go to stderr after a warning saying so, since stderr
// is where a foreground user looks anyway; in the background the error is
// returned, so the command fails at start instead of running with every
// record silently lost.
func newLogger(cfg config, dest logDest) (*slog.Logger, func(), error) {
	if cfg.LogLevel >= levelNone {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	toSyslog := cfg.Syslog || dest.background
	if dest.journal != "" && (toSyslog || dest.journalStream) {
		h, err := systemd.NewJournalHandler(systemd.JournalOptions{Identifier: cfg.Ident, Level: cfg.LogLevel, Socket: dest.journal})
		if err != nil {
			return nil, nil, err
		}
		return slog.New(h), func() { h.Close() }, nil
	}
	if !toSyslog {
		return slog.New(newLineHandler(cfg.LogLevel, newStderrSink(dest.stderr, cfg.Ident))), func() {}, nil
	}
	w, err := dest.dialSyslog(cfg.Ident)
	if err == nil {
		return slog.New(newLineHandler(cfg.LogLevel, syslogSink{w})), func() { w.Close() }, nil
	}
	if dest.background {
		return nil, nil, fmt.Errorf("cannot reach syslog: %w (run with -n to log to stderr, or -l none)", err)
	}
	log := slog.New(newLineHandler(cfg.LogLevel, newStderrSink(dest.stderr, cfg.Ident)))
	log.Warn("cannot reach syslog, logging to stderr", "error", err.Error())
	return log, func() {}, nil
}

// levelName is a level as the records show it, NOTICE included.
func levelName(l slog.Level) string {
	switch l {
	case slog.LevelDebug:
		return "DEBUG"
	case slog.LevelInfo:
		return "INFO"
	case levelNotice:
		return "NOTICE"
	case slog.LevelWarn:
		return "WARN"
	case slog.LevelError:
		return "ERROR"
	}
	return l.String()
}

// A lineSink writes one record, already formatted as its message followed
// by key=value attributes, to a destination.
type lineSink interface {
	emit(t time.Time, l slog.Level, line string) error
}

// stderrSink writes "TIME IDENT[PID]: LEVEL line" lines to a writer, one
// Write per record.
type stderrSink struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
}

func newStderrSink(w io.Writer, ident string) stderrSink {
	return stderrSink{mu: new(sync.Mutex), w: w, prefix: fmt.Sprintf("%s[%d]: ", ident, os.Getpid())}
}

func (s stderrSink) emit(t time.Time, l slog.Level, line string) error {
	var b []byte
	if !t.IsZero() {
		b = t.AppendFormat(b, "2006-01-02 15:04:05.000 ")
	}
	b = append(b, s.prefix...)
	b = append(b, levelName(l)...)
	b = append(b, ' ')
	b = append(b, line...)
	b = append(b, '\n')
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.Write(b)
	return err
}

// syslogSink maps slog levels to syslog priorities; the syslog writer adds
// the time and the ident.
type syslogSink struct{ w syslogWriter }

func (s syslogSink) emit(_ time.Time, l slog.Level, line string) error {
	switch {
	case l >= slog.LevelError:
		return s.w.Err(line)
	case l >= slog.LevelWarn:
		return s.w.Warning(line)
	case l >= levelNotice:
		return s.w.Notice(line)
	case l >= slog.LevelInfo:
		return s.w.Info(line)
	}
	return s.w.Debug(line)
}

// lineHandler is a compact slog.Handler: the message followed by key=value
// attributes, groups as dotted key prefixes, handed to a sink.
type lineHandler struct {
	min    slog.Level
	sink   lineSink
	attrs  []byte // preformatted " key=value" from WithAttrs
	prefix string // "group." from WithGroup
}

func newLineHandler(min slog.Level, sink lineSink) *lineHandler {
	return &lineHandler{min: min, sink: sink}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.min }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	b := append([]byte(r.Message), h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	return h.sink.emit(r.Time, r.Level, string(b))
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		h2.attrs = appendAttr(h2.attrs, h.prefix, a)
	}
	return &h2
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "."
	return &h2
}

// appendAttr appends " key=value", or one such pair per member of a group.
func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, m := range a.Value.Group() {
			b = appendAttr(b, prefix, m)
		}
		return b
	}
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, a.Key...)
	b = append(b, '=')
	return appendValue(b, a.Value)
}

func appendValue(b []byte, v slog.Value) []byte {
	var s string
	switch v.Kind() {
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339Nano)
	default:
		s = v.String()
	}
	if needsQuote(s) {
		return strconv.AppendQuote(b, s)
	}
	return append(b, s...)
}

// needsQuote says whether s would be ambiguous unquoted in key=value text.
func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r == '=' || r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
	}
	return false
}
