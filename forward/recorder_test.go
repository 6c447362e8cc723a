package forward_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// record is one captured log record, its attributes flattened by key.
type record struct {
	Level slog.Level
	Msg   string
	Attrs map[string]slog.Value
}

// isConn tells a connection's end-of-life record (it has a reason) from
// the accept loop's own records.
func (r record) isConn() bool { _, ok := r.Attrs["reason"]; return ok }

func (r record) str(key string) string {
	v, ok := r.Attrs[key]
	if !ok {
		return "<missing " + key + ">"
	}
	return v.String()
}

// int returns a numeric attribute whatever its integer kind.
func (r record) int(t *testing.T, key string) int64 {
	t.Helper()
	v, ok := r.Attrs[key]
	switch {
	case !ok:
		t.Fatalf("record %q has no %q", r.Msg, key)
	case v.Kind() == slog.KindInt64:
		return v.Int64()
	case v.Kind() == slog.KindUint64:
		return int64(v.Uint64())
	}
	t.Fatalf("record %q: %s is %v (%v), want an integer", r.Msg, key, v, v.Kind())
	return 0
}

func (r record) String() string { return fmt.Sprintf("%v %q %v", r.Level, r.Msg, r.Attrs) }

// recorder is a slog.Handler keeping every record, at every level.
type recorder struct {
	store *recordStore
	attrs []slog.Attr
	group string
}

type recordStore struct {
	mu   sync.Mutex
	recs []record
}

func newRecorder() *recorder { return &recorder{store: &recordStore{}} }

func (h *recorder) logger() *slog.Logger { return slog.New(h) }

func (h *recorder) Enabled(context.Context, slog.Level) bool { return true }

func (h *recorder) Handle(_ context.Context, r slog.Record) error {
	rec := record{Level: r.Level, Msg: r.Message, Attrs: map[string]slog.Value{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.Resolve()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[h.group+a.Key] = a.Value.Resolve()
		return true
	})
	h.store.mu.Lock()
	h.store.recs = append(h.store.recs, rec)
	h.store.mu.Unlock()
	return nil
}

func (h *recorder) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]slog.Attr(nil), h.attrs...)
	for _, a := range as {
		a.Key = h.group + a.Key
		h2.attrs = append(h2.attrs, a)
	}
	return &h2
}

func (h *recorder) WithGroup(name string) slog.Handler {
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// all returns a copy of every record so far.
func (h *recorder) all() []record {
	h.store.mu.Lock()
	defer h.store.mu.Unlock()
	return append([]record(nil), h.store.recs...)
}

// conns returns the connection records so far.
func (h *recorder) conns() []record {
	var out []record
	for _, r := range h.all() {
		if r.isConn() {
			out = append(out, r)
		}
	}
	return out
}

// others returns the records at warning level or above that are not
// connection records: what the accept loop says about itself.
func (h *recorder) others() []record {
	var out []record
	for _, r := range h.all() {
		if !r.isConn() && r.Level >= slog.LevelWarn {
			out = append(out, r)
		}
	}
	return out
}

// waitConns waits up to within for n connection records and returns them.
func (h *recorder) waitConns(t *testing.T, n int, within time.Duration) []record {
	t.Helper()
	eventually(t, within, func() bool { return len(h.conns()) >= n },
		func() string { return fmt.Sprintf("%d connection records, want %d: %v", len(h.conns()), n, h.conns()) })
	return h.conns()
}

// waitConn waits for exactly one connection record and returns it.
func (h *recorder) waitConn(t *testing.T) record {
	t.Helper()
	recs := h.waitConns(t, 1, 5*time.Second)
	if len(recs) != 1 {
		t.Fatalf("want one connection record, got %v", recs)
	}
	return recs[0]
}

// checkRecord asserts a connection record's reason and byte counts
// (negative counts are not checked).
func checkRecord(t *testing.T, r record, reason string, fromClient, fromTarget int64) {
	t.Helper()
	if got := r.str("reason"); got != reason {
		t.Errorf("record reason %q, want %q (%v)", got, reason, r)
	}
	if fromClient >= 0 && r.int(t, "bytes_from_client") != fromClient {
		t.Errorf("bytes_from_client = %d, want %d (%v)", r.int(t, "bytes_from_client"), fromClient, r)
	}
	if fromTarget >= 0 && r.int(t, "bytes_from_target") != fromTarget {
		t.Errorf("bytes_from_target = %d, want %d (%v)", r.int(t, "bytes_from_target"), fromTarget, r)
	}
	wantLevel := slog.LevelInfo
	if reason == forward.ReasonDialError {
		wantLevel = slog.LevelError
	}
	if r.Level != wantLevel {
		t.Errorf("record level %v, want %v (%v)", r.Level, wantLevel, r)
	}
}
