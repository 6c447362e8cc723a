package systemd

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// JournalSocket is where journald takes native-protocol records.
const JournalSocket = "/run/systemd/journal/socket"

// LevelNotice is the slog level that maps to syslog's notice (priority 5),
// between slog.LevelInfo and slog.LevelWarn.
const LevelNotice = slog.Level(2)

// maxFieldName is journald's limit on the length of a field name.
const maxFieldName = 64

// JournalOptions configure a JournalHandler. The zero value works.
type JournalOptions struct {
	// Identifier is SYSLOG_IDENTIFIER; "" means the program's base name.
	Identifier string
	// Level is the least level handled; nil means slog.LevelInfo. A level
	// above every record's (the command's "none") handles nothing.
	Level slog.Leveler
	// Socket is journald's socket; "" means JournalSocket.
	Socket string
	// Timeout bounds one send while journald is not reading; zero means
	// 250ms. A record that cannot be sent in time is dropped and Handle
	// returns the error (which slog.Logger ignores).
	Timeout time.Duration
}

// A JournalHandler is a slog.Handler that sends each record to journald as
// one entry: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, SYSLOG_PID, and one
// field per attribute. A field is named after the attribute's key,
// prefixed with its groups joined by '_': upper-cased, every character
// outside [A-Z0-9_] replaced by '_', prefixed with 'X' when it would start
// with a digit or '_' (journald reserves those), cut to 64 characters.
// An attribute that would clash with one of the four fields above gets an
// "X_" prefix, so bytes_in becomes BYTES_IN, tgt.addr TGT_ADDR, message
// X_MESSAGE.
//
// The handlers made from one by WithAttrs and WithGroup share its socket;
// Close closes it for all of them.
type JournalHandler struct {
	core   *journalCore
	fields []byte // encoded fields from WithAttrs
	prefix string // groups from WithGroup, each followed by '_'
}

// journalCore is what all handlers derived from one share.
type journalCore struct {
	conn  *journalConn
	level slog.Leveler
	head  []byte // SYSLOG_IDENTIFIER and SYSLOG_PID, encoded
}

// NewJournalHandler opens a socket for sending to journald. It does not
// check that journald listens (see JournalAvailable): a record sent while
// it does not is dropped with an error.
func NewJournalHandler(o JournalOptions) (*JournalHandler, error) {
	if o.Identifier == "" {
		o.Identifier = filepath.Base(os.Args[0])
	}
	if o.Level == nil {
		o.Level = slog.LevelInfo
	}
	if o.Socket == "" {
		o.Socket = JournalSocket
	}
	if o.Timeout <= 0 {
		o.Timeout = 250 * time.Millisecond
	}
	conn, err := dialJournal(o.Socket, o.Timeout)
	if err != nil {
		return nil, fmt.Errorf("journald: %w", err)
	}
	head := appendField(nil, "SYSLOG_IDENTIFIER", o.Identifier)
	head = appendField(head, "SYSLOG_PID", strconv.Itoa(os.Getpid()))
	return &JournalHandler{core: &journalCore{conn: conn, level: o.Level, head: head}}, nil
}

// Close closes the socket; records handled after it are dropped.
func (h *JournalHandler) Close() error { return h.core.conn.close() }

// Enabled reports whether l reaches the handler's level.
func (h *JournalHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.core.level.Level()
}

// Handle sends r as one journal entry. It returns an error, without
// blocking longer than the timeout, when journald does not take it.
func (h *JournalHandler) Handle(_ context.Context, r slog.Record) error {
	b := make([]byte, 0, 256+len(r.Message)+len(h.fields))
	b = appendField(b, "MESSAGE", r.Message)
	b = appendField(b, "PRIORITY", strconv.Itoa(Priority(r.Level)))
	b = append(b, h.core.head...)
	b = append(b, h.fields...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	if err := h.core.conn.send(b); err != nil {
		return fmt.Errorf("journald: %w", err)
	}
	return nil
}

// WithAttrs returns a handler that adds as to every record.
func (h *JournalHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if len(as) == 0 {
		return h
	}
	h2 := *h
	h2.fields = append([]byte(nil), h.fields...)
	for _, a := range as {
		h2.fields = appendAttr(h2.fields, h.prefix, a)
	}
	return &h2
}

// WithGroup returns a handler that prefixes the fields of later attributes
// with name.
func (h *JournalHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.prefix = h.prefix + name + "_"
	return &h2
}

// Priority is the syslog priority journald stores for level l: error 3,
// warning 4, notice 5, info 6, debug 7.
func Priority(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= LevelNotice:
		return 5
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

// appendAttr encodes a, or each member of a group, as journal fields.
func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		if a.Key != "" {
			prefix += a.Key + "_"
		}
		for _, m := range a.Value.Group() {
			b = appendAttr(b, prefix, m)
		}
		return b
	}
	return appendField(b, FieldName(prefix+a.Key), valueString(a.Value))
}

func valueString(v slog.Value) string {
	if v.Kind() == slog.KindTime {
		return v.Time().Format(time.RFC3339Nano)
	}
	return v.String()
}

// appendField encodes one field in journald's native protocol: NAME=value
// and a newline, or, when the value holds a newline, the name and a
// newline, the value's length as 64-bit little endian, the value and a
// newline.
func appendField(b []byte, name, value string) []byte {
	b = append(b, name...)
	if !strings.Contains(value, "\n") {
		b = append(b, '=')
		b = append(b, value...)
		return append(b, '\n')
	}
	b = append(b, '\n')
	b = binary.LittleEndian.AppendUint64(b, uint64(len(value)))
	b = append(b, value...)
	return append(b, '\n')
}

// FieldName is the journal field an attribute key becomes, groups joined
// to it with '_' (see JournalHandler).
func FieldName(key string) string {
	var sb strings.Builder
	for _, c := range key {
		switch {
		case 'a' <= c && c <= 'z':
			sb.WriteByte(byte(c) - 'a' + 'A')
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
			sb.WriteRune(c)
		default:
			sb.WriteByte('_')
		}
	}
	name := sb.String()
	switch {
	case name == "" || name[0] == '_' || ('0' <= name[0] && name[0] <= '9'):
		name = "X" + name
	case name == "MESSAGE" || name == "PRIORITY" || name == "SYSLOG_IDENTIFIER" || name == "SYSLOG_PID":
		name = "X_" + name
	}
	return name[:min(len(name), maxFieldName)]
}
