package systemd

import (
	"log/slog"
	"strings"
	"testing"
)

func TestFieldName(t *testing.T) {
	tests := []struct{ key, want string }{
		{"bytes_in", "BYTES_IN"},
		{"bytes_from_client", "BYTES_FROM_CLIENT"},
		{"client", "CLIENT"},
		{"Already_UPPER_9", "ALREADY_UPPER_9"},
		{"tgt_addr", "TGT_ADDR"},
		{"a.b-c d", "A_B_C_D"},
		{"héllo", "H_LLO"},
		{"_private", "X_PRIVATE"},
		{"__x", "X__X"},
		{"9lives", "X9LIVES"},
		{"", "X"},
		{"message", "X_MESSAGE"},
		{"priority", "X_PRIORITY"},
		{"syslog_identifier", "X_SYSLOG_IDENTIFIER"},
		{"syslog_pid", "X_SYSLOG_PID"},
		{"message_id", "MESSAGE_ID"},
		{strings.Repeat("k", 100), strings.Repeat("K", 64)},
		{"_" + strings.Repeat("k", 100), "X_" + strings.Repeat("K", 62)},
	}
	for _, tt := range tests {
		if got := FieldName(tt.key); got != tt.want {
			t.Errorf("FieldName(%q) = %q, want %q", tt.key, got, tt.want)
		}
		if got := FieldName(tt.key); !validField(got) {
			t.Errorf("FieldName(%q) = %q, which journald refuses", tt.key, got)
		}
	}
}

// validField is journald's rule for a field a client may set
// (journal_field_valid in systemd's sources).
func validField(s string) bool {
	if s == "" || len(s) > 64 || s[0] == '_' || ('0' <= s[0] && s[0] <= '9') {
		return false
	}
	for _, c := range []byte(s) {
		if !('A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

func FuzzFieldName(f *testing.F) {
	for _, s := range []string{"", "_", "9", "bytes_in", "g_a.b", "\xff\x00", "ÄÖÜ", strings.Repeat("_a", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if got := FieldName(key); !validField(got) {
			t.Errorf("FieldName(%q) = %q, which journald refuses", key, got)
		}
	})
}

func TestPriority(t *testing.T) {
	tests := []struct {
		level slog.Level
		want  int
	}{
		{slog.LevelError + 4, 3}, {slog.LevelError, 3}, {slog.LevelWarn + 1, 4}, {slog.LevelWarn, 4},
		{LevelNotice + 1, 5}, {LevelNotice, 5}, {slog.LevelInfo + 1, 6}, {slog.LevelInfo, 6},
		{slog.LevelInfo - 1, 7}, {slog.LevelDebug, 7}, {slog.LevelDebug - 8, 7},
	}
	for _, tt := range tests {
		if got := Priority(tt.level); got != tt.want {
			t.Errorf("Priority(%v) = %d, want %d", tt.level, got, tt.want)
		}
	}
}

func TestAppendField(t *testing.T) {
	if got := string(appendField(nil, "A", "b c=d")); got != "A=b c=d\n" {
		t.Errorf("plain field encoded as %q", got)
	}
	got := string(appendField(nil, "A", "x\ny"))
	if want := "A\n\x03\x00\x00\x00\x00\x00\x00\x00x\ny\n"; got != want {
		t.Errorf("multi-line field encoded as %q, want %q", got, want)
	}
}
