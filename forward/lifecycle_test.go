package forward_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestTargetRefused: with nothing listening at the target, each client is
// closed at once, the record says "dial error", and Serve keeps serving
// (with MaxConns=1, so a slot not freed after a dial error shows).
func TestTargetRefused(t *testing.T) {
	forEachTarget(t, func(t *testing.T, kind listenerKind, addr, target string) {
		s := kind.serve(t, &forward.Forwarder{Target: target, MaxConns: 1})
		for i := 0; i < 3; i++ {
			expectClosed(t, s.dial(t), time.Second)
		}
		for _, r := range s.logs.waitConns(t, 3, 5*time.Second) {
			checkRecord(t, r, forward.ReasonDialError, 0, 0)
			if got := r.str("target"); (got != target && got != addr) || !strings.Contains(r.str("error"), "refused") {
				t.Errorf("dial error record: target %s, error %q; want %s, connection refused",
					got, r.str("error"), target)
			}
		}
		if !s.running() {
			t.Fatalf("Serve returned after dial errors: %v", s.err)
		}
	})
}

// forEachTarget runs test in parallel for each listener kind, with the
// target as an address and as a host name, at an address where nothing
// listens yet.
func forEachTarget(t *testing.T, test func(t *testing.T, kind listenerKind, addr, target string)) {
	for _, kind := range listenerKinds {
		for _, byName := range []bool{false, true} {
			name := kind.name + "/address"
			if byName {
				name = kind.name + "/name"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				addr := freeAddr(t)
				target := addr
				if byName {
					_, port, _ := net.SplitHostPort(addr)
					target = "localhost:" + port
				}
				test(t, kind, addr, target)
			})
		}
	}
}

// TestTargetComesUp: the target is resolved and dialled afresh for every
// client, so once it is up the next client is served.
func TestTargetComesUp(t *testing.T) {
	forEachTarget(t, func(t *testing.T, kind listenerKind, addr, target string) {
		s := kind.serve(t, &forward.Forwarder{Target: target})
		expectClosed(t, s.dial(t), time.Second)
		checkRecord(t, s.logs.waitConn(t), forward.ReasonDialError, 0, 0)
		handle, results := peerBackend(5000)
		startBackend(t, listen(t, "tcp", addr), handle)
		clientExchange(t, s, results, 3000, 5000, 11)
		recs := s.logs.waitConns(t, 2, 5*time.Second)
		checkRecord(t, recs[1], forward.ReasonEOF, 3000, 5000)
		if recs[1].str("target") != addr {
			t.Errorf("record target %s, want the address dialled, %s", recs[1].str("target"), addr)
		}
	})
}

// TestRecordFields checks every field of a connection's record.
func TestRecordFields(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			recordFields(t, kind)
		})
	}
}

func recordFields(t *testing.T, kind listenerKind) {
	b := tcpBackend(t, func(c *net.TCPConn) {
		io.WriteString(c, "hi") // the client knows the relay is up
		io.Copy(io.Discard, c)
		io.WriteString(c, "goodbye")
	})
	s := kind.serve(t, &forward.Forwarder{Target: b.addr})
	var clients []string
	for i := 0; i < 2; i++ {
		c := s.dial(t)
		clients = append(clients, c.LocalAddr().String())
		io.ReadFull(c, make([]byte, 2))
		time.Sleep(50 * time.Millisecond)
		io.WriteString(c, "hello")
		c.CloseWrite()
		if got, err := io.ReadAll(c); string(got) != "goodbye" || err != nil {
			t.Fatalf("read %q, %v", got, err)
		}
		s.logs.waitConns(t, i+1, 5*time.Second)
	}
	for i, r := range s.logs.conns() {
		checkRecord(t, r, forward.ReasonEOF, 5, 9)
		if id := r.int(t, "conn"); id != int64(i+1) {
			t.Errorf("record %d: conn %d, want %d", i, id, i+1)
		}
		if r.str("client") != clients[i] || r.str("local") != s.addr || r.str("target") != b.addr {
			t.Errorf("record %d: client %s local %s target %s, want %s %s %s", i,
				r.str("client"), r.str("local"), r.str("target"), clients[i], s.addr, b.addr)
		}
		if d := r.Attrs["duration"]; d.Kind() != slog.KindDuration || d.Duration() < 50*time.Millisecond || d.Duration() > 5*time.Second {
			t.Errorf("record %d: duration %v (%v), want 50ms..5s", i, d, d.Kind())
		}
	}
	want := forward.StatsSnapshot{Total: 2, FromClient: 10, FromTarget: 18}
	if st := s.f.Stats(); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

// TestShutdownDrains: once ctx is done Serve stops accepting but waits for
// a transfer in progress, which completes.
func TestShutdownDrains(t *testing.T) {
	t.Parallel()
	handle, results := peerBackend(1 << 20)
	b := tcpBackend(t, handle)
	s := serveTCP(t, &forward.Forwarder{Target: b.addr, DrainTimeout: 20 * time.Second})
	c := s.dial(t)
	sent := make(chan exchanged, 1)
	go func() {
		d, err := sendRandom(slowWriter{c}, 2<<20, 12)
		if err == nil {
			err = c.CloseWrite()
		}
		sent <- exchanged{sent: d, err: err}
	}()
	b.waitAccepted(t, 1, 2*time.Second)
	s.cancel()
	if s.returnsWithin(100 * time.Millisecond) {
		t.Fatalf("Serve returned (%v) with a transfer in progress", s.err)
	}
	if !refused(s.addr) {
		t.Error("the listener still accepts 100ms after shutdown began")
	}
	got, err := readDigest(c)
	client := <-sent
	client.got, client.err = got, errors.Join(client.err, err)
	if err := checkExchange(client, <-results, 2<<20, 1<<20); err != nil {
		t.Fatal(err)
	}
	if !s.returnsWithin(2 * time.Second) {
		t.Fatal("Serve still running after its last connection ended")
	}
	if s.err != nil {
		t.Errorf("Serve: %v", s.err)
	}
	checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, 2<<20, 1<<20)
}

// slowWriter spreads a transfer over about half a second.
type slowWriter struct{ io.Writer }

func (w slowWriter) Write(p []byte) (int, error) {
	time.Sleep(40 * time.Millisecond)
	return w.Writer.Write(p)
}

// refused tells whether nothing accepts at addr any more.
func refused(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

// TestShutdownDrainTimeout: a connection still open when the drain timeout
// runs out is closed, both ends, with reason "shutdown", and Serve returns.
// Negative DrainTimeout closes at once.
func TestShutdownDrainTimeout(t *testing.T) {
	for _, tc := range []struct {
		name    string
		drain   time.Duration
		blocked bool // the client is writing more than the target reads
	}{
		{"idle", 300 * time.Millisecond, false},
		{"write-blocked", 300 * time.Millisecond, true},
		{"negative", -1, false},
	} {
		for _, kind := range listenerKinds {
			t.Run(kind.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				probe, targetClosed := make(chan struct{}), make(chan bool, 1)
				b := tcpBackend(t, func(c *net.TCPConn) {
					<-probe
					targetClosed <- writesFail(c)
				})
				t.Cleanup(func() { close(probe) }) // before the backend's cleanup
				s := kind.serve(t, &forward.Forwarder{Target: b.addr, DrainTimeout: tc.drain})
				c := s.dial(t)
				b.waitAccepted(t, 1, 2*time.Second)
				if tc.blocked {
					go sendRandom(c, 64<<20, 13)
					time.Sleep(200 * time.Millisecond)
				}
				checkAbort(t, s, c, tc.drain)
				probe <- struct{}{}
				if !<-targetClosed {
					t.Error("target conn still open after the drain timeout")
				}
				checkRecord(t, s.logs.waitConn(t), forward.ReasonShutdown, -1, 0)
			})
		}
	}
}

// checkAbort cancels s and checks that it returns nil after about drain,
// having closed c.
func checkAbort(t *testing.T, s *server, c net.Conn, drain time.Duration) {
	t.Helper()
	start := time.Now()
	if err := s.stop(t, max(drain, 0)+2*time.Second); err != nil {
		t.Errorf("Serve: %v", err)
	}
	if took := time.Since(start); took < drain-20*time.Millisecond {
		t.Errorf("Serve returned %v after cancel, before the drain timeout %v", took, drain)
	}
	expectClosed(t, c, time.Second)
}
