package systemd

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// journalEntries reads the entries of one test run, by message, waiting
// until the last record ("done") is there.
func journalEntries(t *testing.T, j *testenv.Journald, run string) map[string]map[string]any {
	t.Helper()
	hasDone := func(es []map[string]any) bool {
		return slices.ContainsFunc(es, func(e map[string]any) bool { return e["MESSAGE"] == "done" })
	}
	byMessage := map[string]map[string]any{}
	for _, e := range j.WaitEntries(t, hasDone, "TEST_RUN="+run) {
		msg := fmt.Sprint(e["MESSAGE"])
		if byMessage[msg] != nil {
			t.Errorf("two entries %q", msg)
		}
		byMessage[msg] = e
	}
	return byMessage
}

// TestJournald sends records from inside a real journald's namespace,
// through the default socket, and reads them back with journalctl.
func TestJournald(t *testing.T) {
	j := testenv.StartJournald(t)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	cmd := j.Command(testBinary(t))
	cmd.Env = append(cmd.Env, childEnv+"=journal", "TEST_RUN="+run, "GORACE=atexit_sleep_ms=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := journalEntries(t, j, run)

	closed := got["connection closed"]
	testenv.CheckFields(t, closed, map[string]string{
		"SYSLOG_IDENTIFIER": "redir-test", "PRIORITY": "6", "_TRANSPORT": "journal",
		"CONN": "42", "CLIENT": "127.0.0.1:40000", "LOCAL": "127.0.0.1:1234", "TARGET": "127.0.0.1:8080",
		"BYTES_FROM_CLIENT": "1234", "BYTES_FROM_TARGET": "5678", "DURATION": "1.5s", "REASON": "eof",
	})
	if closed["SYSLOG_PID"] == nil || closed["SYSLOG_PID"] != closed["_PID"] {
		t.Errorf("SYSLOG_PID %v, but journald saw _PID %v", closed["SYSLOG_PID"], closed["_PID"])
	}
	testenv.CheckFields(t, got["multi-line"], map[string]string{"PRIORITY": "4", "TEXT": multiLine})
	testenv.CheckFields(t, got["notice"], map[string]string{"PRIORITY": "5"})
	testenv.CheckFields(t, got["grouped"], map[string]string{"TGT_ADDR": "192.0.2.1:80"})
	blob := oversizeBlob()
	testenv.CheckFields(t, got["oversize"], map[string]string{"PRIORITY": "3", "BLOB": blob})
	wmem, err := os.ReadFile("/proc/sys/net/core/wmem_default")
	if n, _ := strconv.Atoi(strings.TrimSpace(string(wmem))); err != nil || len(blob) <= n {
		t.Errorf("a %d-byte entry fits a datagram (wmem_default %q, %v): the memfd path went untested", len(blob), wmem, err)
	}
	if got["filtered"] != nil {
		t.Error("a debug record reached the journal at level info")
	}
	if len(got) != 6 {
		t.Errorf("%d entries, want 6", len(got))
	}
}

const multiLine = "line one\nline two\n\nline four"

func oversizeBlob() string { return strings.Repeat("0123456789abcdef", 300<<10/16) }

// journalChild sends the records TestJournald looks for, through the
// default socket, and fails when any send does.
func journalChild() int {
	if !JournalAvailable() {
		fmt.Fprintln(os.Stderr, "JournalAvailable() is false in journald's namespace")
		return 1
	}
	h, err := NewJournalHandler(JournalOptions{Identifier: "redir-test", Level: slog.LevelInfo})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer h.Close()
	var sendErr error
	log := slog.New(errHandler{h, &sendErr}).With("test_run", os.Getenv("TEST_RUN"))
	log.With("conn", 42, "client", "127.0.0.1:40000").Info("connection closed",
		"local", "127.0.0.1:1234", "target", "127.0.0.1:8080", "bytes_from_client", 1234,
		"bytes_from_target", 5678, "duration", 1500*time.Millisecond, "reason", "eof")
	log.Warn("multi-line", "text", multiLine)
	log.Error("oversize", "blob", oversizeBlob())
	log.Debug("filtered")
	log.Log(context.Background(), LevelNotice, "notice")
	log.WithGroup("tgt").Info("grouped", "addr", "192.0.2.1:80")
	log.Info("done")
	if sendErr != nil {
		fmt.Fprintln(os.Stderr, sendErr)
		return 1
	}
	return 0
}

// errHandler keeps the first error its handler returns, which slog.Logger
// would drop.
type errHandler struct {
	slog.Handler
	err *error
}

func (h errHandler) Handle(ctx context.Context, r slog.Record) error {
	if err := h.Handler.Handle(ctx, r); err != nil && *h.err == nil {
		*h.err = err
	}
	return nil
}

func (h errHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return errHandler{h.Handler.WithAttrs(as), h.err}
}

func (h errHandler) WithGroup(name string) slog.Handler {
	return errHandler{h.Handler.WithGroup(name), h.err}
}
