package forward

// Tests written during a review of the relay core: each one fails because
// of a defect described in the review report (the one on the event loop's
// dispatch is in review_dispatch_linux_test.go). Package forward (not
// forward_test) so that the package's own tests share these helpers.

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestReviewMixedListenersSlot: Serve with a plain TCP listener and a
// wrapped one sharing MaxConns 1. The wrapped listener's acceptLoop takes
// the only slot before Accept and holds it while waiting, so a client of
// the TCP listener is never served although no connection is open.
func TestReviewMixedListenersSlot(t *testing.T) {
	target := reviewEcho(t)
	raw := reviewListen(t)
	wrapped := reviewWrap{reviewListen(t)}
	f := &Forwarder{Target: target, MaxConns: 1}
	reviewServe(t, f, raw, wrapped)
	time.Sleep(200 * time.Millisecond) // both listeners are waiting
	if err := reviewRoundTrip(raw.Addr().String(), 2*time.Second); err != nil {
		t.Errorf("client of the TCP listener, no connection open, MaxConns 1: %v", err)
	}
}

// TestReviewWrappedListenersSlot: two wrapped listeners and MaxConns 1.
// Each acceptLoop takes a slot before Accept, so the slot is always held
// by one of them waiting in Accept; a client of the other one waits
// although no connection is open. Two clients in turn on the first
// listener: one of them hits it whichever goroutine won the slot first.
func TestReviewWrappedListenersSlot(t *testing.T) {
	target := reviewEcho(t)
	ln1, ln2 := reviewWrap{reviewListen(t)}, reviewWrap{reviewListen(t)}
	f := &Forwarder{Target: target, MaxConns: 1}
	logs := reviewServe(t, f, ln1, ln2)
	time.Sleep(200 * time.Millisecond)
	for i := 1; i <= 2; i++ {
		if err := reviewRoundTrip(ln1.Addr().String(), 2*time.Second); err != nil {
			t.Fatalf("client %d of the first listener, no connection open, MaxConns 1: %v", i, err)
		}
		logs.wait(t, i, 2*time.Second)
	}
}

// TestReviewCopierIdleWriteBlocked: user-space copier, IdleTimeout set.
// The target half-closes at once and never reads; the client sends until
// everything is full. No byte moves any more, so the idle timeout must
// close the connection; but the only goroutine left is blocked in Write,
// which has no deadline, and the connection stays open forever.
func TestReviewCopierIdleWriteBlocked(t *testing.T) {
	hold := make(chan struct{})
	t.Cleanup(func() { close(hold) })
	tln := reviewListen(t)
	go func() {
		c, err := tln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.(*net.TCPConn).SetReadBuffer(16 << 10)
		c.(*net.TCPConn).CloseWrite()
		<-hold
	}()
	ln := reviewWrap{reviewListen(t)}
	logs := reviewServe(t, &Forwarder{Target: tln.Addr().String(), IdleTimeout: 300 * time.Millisecond}, ln)
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	go func() {
		c.SetWriteDeadline(time.Now().Add(6 * time.Second))
		c.Write(make([]byte, 64<<20))
	}()
	rec := logs.wait(t, 1, 4*time.Second)
	if rec[0] != ReasonIdle {
		t.Errorf("reason %q, want %q", rec[0], ReasonIdle)
	}
}

// reviewWrap hides *net.TCPListener and *net.TCPConn from the forwarder.
type reviewWrap struct{ net.Listener }

type reviewConn struct{ net.Conn }

func (c reviewConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

func (l reviewWrap) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return reviewConn{c}, nil
}

func reviewListen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// reviewEcho is a target that echoes until EOF.
func reviewEcho(t *testing.T) string {
	ln := reviewListen(t)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				io.Copy(c, c)
				c.Close()
			}()
		}
	}()
	return ln.Addr().String()
}

// reviewRoundTrip checks that a ping to addr comes back within the time.
func reviewRoundTrip(addr string, within time.Duration) error {
	c, err := reviewPing(addr, within)
	if err == nil {
		c.Close()
	}
	return err
}

// reviewPing is reviewRoundTrip that leaves the conn open for the caller,
// with its deadline set to within from now.
func reviewPing(addr string, within time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, within)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(within))
	buf := []byte("ping")
	if _, err := c.Write(buf); err == nil {
		_, err = io.ReadFull(c, buf)
	}
	if err == nil && string(buf) != "ping" {
		err = errors.New("echo garbled: " + string(buf))
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// reviewLog keeps every record with its attributes as strings.
type reviewLog struct {
	mu   sync.Mutex
	recs []reviewRecord
}

type reviewRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func (h *reviewLog) Enabled(context.Context, slog.Level) bool { return true }
func (h *reviewLog) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *reviewLog) WithGroup(string) slog.Handler            { return h }
func (h *reviewLog) Handle(_ context.Context, r slog.Record) error {
	rec := reviewRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	r.Attrs(func(a slog.Attr) bool { rec.attrs[a.Key] = a.Value.String(); return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	h.recs = append(h.recs, rec)
	return nil
}

// reasons is the reason of every connection record so far.
func (h *reviewLog) reasons() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var got []string
	for _, r := range h.recs {
		if reason, ok := r.attrs["reason"]; ok {
			got = append(got, reason)
		}
	}
	return got
}

// wait returns the reasons once there are n connection records, failing
// after within.
func (h *reviewLog) wait(t *testing.T, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if got := h.reasons(); len(got) >= n {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d connection records after %v", n, within)
	return nil
}

// waitFor waits up to 5 s for a record that match accepts.
func (h *reviewLog) waitFor(t *testing.T, match func(reviewRecord) bool) {
	t.Helper()
	for range 500 {
		h.mu.Lock()
		found := slices.ContainsFunc(h.recs, match)
		h.mu.Unlock()
		if found {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Error("no matching record within 5 s")
}

// reviewServe runs f.Serve on lns until the test ends, with an immediate
// drain, and insists that it returns.
func reviewServe(t *testing.T, f *Forwarder, lns ...net.Listener) *reviewLog {
	t.Helper()
	logs := &reviewLog{}
	f.Log = slog.New(logs)
	f.DrainTimeout = -1
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.Serve(ctx, lns...); close(done) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Errorf("Serve still running 10 s after its context ended")
		}
	})
	return logs
}
