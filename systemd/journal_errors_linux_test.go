package systemd

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func record(msg string) slog.Record {
	return slog.NewRecord(time.Now(), slog.LevelInfo, msg, 0)
}

func TestJournalHandlerNoJournald(t *testing.T) {
	h, err := NewJournalHandler(JournalOptions{Socket: filepath.Join(t.TempDir(), "none")})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	err = h.Handle(context.Background(), record("lost"))
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("Handle without journald: %v, want ENOENT", err)
	}
	slog.New(h).Info("lost too") // must neither panic nor block
}

// TestJournalHandlerStuck: journald not reading (its queue full) makes
// each send give up after the timeout, not block.
func TestJournalHandlerStuck(t *testing.T) {
	s := newSink(t)
	const timeout = 50 * time.Millisecond
	h := s.handler(t, slog.LevelInfo, timeout)
	var err error
	sent := 0
	for ; sent < 5000 && err == nil; sent++ {
		err = h.Handle(context.Background(), record("fill"))
	}
	if !errors.Is(err, unix.EAGAIN) {
		t.Fatalf("after %d records nobody reads: %v, want EAGAIN", sent, err)
	}
	for range 3 {
		start := time.Now()
		err := h.Handle(context.Background(), record("more"))
		if d := time.Since(start); !errors.Is(err, unix.EAGAIN) || d < timeout/2 || d > timeout+time.Second {
			t.Errorf("send to a full queue: %v after %v, want EAGAIN after about %v", err, d, timeout)
		}
	}
	// Once journald reads again, records go through. (The last of the
	// sent was refused.)
	for range sent - 1 {
		s.next(t)
	}
	if err := h.Handle(context.Background(), record("again")); err != nil {
		t.Errorf("after the queue drained: %v", err)
	}
	if entry, _ := s.next(t); entry["MESSAGE"][0] != "again" {
		t.Errorf("got %q, want the record sent after the drain", entry["MESSAGE"])
	}
}

func TestJournalHandlerClosed(t *testing.T) {
	s := newSink(t)
	h := s.handler(t, slog.LevelInfo, 0)
	child := h.WithAttrs([]slog.Attr{slog.Int("a", 1)})
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := child.Handle(context.Background(), record("late")); err == nil {
		t.Error("a handler derived from a closed one still sends")
	}
	if err := h.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestJournalHandlerLevels(t *testing.T) {
	none := slog.Level(1 << 10)
	h, err := NewJournalHandler(JournalOptions{Level: none, Socket: newSink(t).path})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, l := range []slog.Level{slog.LevelDebug, slog.LevelInfo, LevelNotice, slog.LevelWarn, slog.LevelError, slog.LevelError + 100} {
		if h.Enabled(context.Background(), l) {
			t.Errorf("level none lets %v through", l)
		}
	}
	var lv slog.LevelVar
	lv.Set(slog.LevelWarn)
	h2, err := NewJournalHandler(JournalOptions{Level: &lv, Socket: newSink(t).path})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Close()
	if h2.Enabled(context.Background(), slog.LevelInfo) || !h2.Enabled(context.Background(), slog.LevelWarn) {
		t.Error("level warn: info enabled or warn not")
	}
}
