package forward_test

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// clientExchange runs exchange as a client of s and waits for the
// backend's side of it; it returns both and fails on a mismatch.
func clientExchange(t *testing.T, s *server, results <-chan exchanged, up, down int64, seed uint64) {
	t.Helper()
	c := s.dial(t)
	var client exchanged
	client.sent, client.got, client.err = exchange(c, up, seed)
	select {
	case target := <-results:
		if err := checkExchange(client, target, up, down); err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("backend never finished (client saw %+v)", client)
	}
}

// TestRandomData sends independent random streams both ways at once and
// compares them by SHA-256, and the record's byte counts with the sizes.
func TestRandomData(t *testing.T) {
	sizes := []struct{ up, down int64 }{
		{0, 0}, {1, 1}, {1000, 1000}, {64<<10 + 1, 64<<10 + 1}, {1 << 20, 1 << 20},
		{0, 1<<20 + 7}, {1<<20 + 7, 0}, {1, 4 << 20}, {4 << 20, 1},
		{64 << 20, 64 << 20},
	}
	for _, kind := range listenerKinds {
		for _, sz := range sizes {
			if sz.up+sz.down > 8<<20 && kind.name != "tcp" {
				continue // once is enough for 64 MiB
			}
			t.Run(fmt.Sprintf("%s/up=%d/down=%d", kind.name, sz.up, sz.down), func(t *testing.T) {
				handle, results := peerBackend(sz.down)
				b := tcpBackend(t, handle)
				s := kind.serve(t, &forward.Forwarder{Target: b.addr})
				clientExchange(t, s, results, sz.up, sz.down, uint64(sz.up))
				checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, sz.up, sz.down)
			})
		}
	}
}

// TestDirectionsIndependent stalls one direction (the client does not
// read) and checks that the other still flows to its end meanwhile.
func TestDirectionsIndependent(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			const up, down = 4 << 20, 16 << 20
			gotUp, sentDown := make(chan exchanged, 1), make(chan exchanged, 1)
			b := tcpBackend(t, func(c *net.TCPConn) { reportHalves(c, down, gotUp, sentDown) })
			s := kind.serve(t, &forward.Forwarder{Target: b.addr})
			c := s.dial(t)
			c.SetDeadline(time.Now().Add(10 * time.Second))
			sent, err := sendRandom(c, up, 8)
			if err != nil {
				t.Fatalf("sending while not reading: %v", err)
			}
			c.CloseWrite()
			var target exchanged
			select {
			case target = <-gotUp:
			case <-time.After(10 * time.Second):
				t.Fatal("client to target stalled while target to client was full")
			}
			got, err := readDigest(c)
			if err != nil {
				t.Fatal(err)
			}
			sd := <-sentDown
			target.sent, target.err = sd.sent, errors.Join(target.err, sd.err)
			if err := checkExchange(exchanged{sent, got, nil}, target, up, down); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// reportHalves sends size bytes on c while reading it to EOF, and reports
// each direction as soon as it is done.
func reportHalves(c *net.TCPConn, size int64, got, sent chan<- exchanged) {
	done := make(chan exchanged, 1)
	go func() {
		d, err := sendRandom(c, size, 7)
		done <- exchanged{sent: d, err: errors.Join(err, c.CloseWrite())}
	}()
	d, err := readDigest(c)
	got <- exchanged{got: d, err: err}
	sent <- <-done
}

// TestPingPong makes many small round trips, each waiting for the last:
// a relay that misses a readiness event or holds bytes back hangs here.
func TestPingPong(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
			s := kind.serve(t, &forward.Forwarder{Target: b.addr})
			c := s.dial(t)
			c.SetDeadline(time.Now().Add(15 * time.Second))
			var total int64
			for i := 1; i <= 300; i++ {
				msg := []byte(strings.Repeat(string(rune('a'+i%26)), 1+i%97))
				roundTrip(t, c, msg)
				total += int64(len(msg))
			}
			c.CloseWrite()
			expectClosed(t, c, 5*time.Second)
			checkRecord(t, s.logs.waitConn(t), forward.ReasonEOF, total, total)
		})
	}
}

// TestConcurrentConnections runs 200 clients at once, each with its own
// random streams both ways, and matches every stream byte for byte.
func TestConcurrentConnections(t *testing.T) {
	const clients, down = 200, 64<<10 + 1
	handle, results := peerBackend(down)
	b := tcpBackend(t, handle)
	s := serveTCP(t, &forward.Forwarder{Target: b.addr})
	upTotal := concurrentExchanges(t, s.addr, clients, down, results)
	checkTotals(t, s.logs.waitConns(t, clients, 10*time.Second), clients, upTotal, clients*down)
	want := forward.StatsSnapshot{Total: clients, FromClient: upTotal, FromTarget: clients * down}
	if st := s.f.Stats(); st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

// concurrentExchanges runs n clients of addr at once, each exchanging its
// own random streams with a peerBackend sending down bytes, and matches
// every stream byte for byte. It returns the bytes the clients sent.
func concurrentExchanges(t *testing.T, addr string, n int, down int64, results <-chan exchanged) (upTotal int64) {
	t.Helper()
	seen := make(chan exchanged, n)
	for i := range n {
		up := int64(1 + i*1999)
		upTotal += up
		go func() { seen <- dialExchange(addr, up, uint64(i)) }()
	}
	bySent := map[digest]exchanged{}
	for range n {
		e := <-seen
		if e.err != nil {
			t.Fatalf("client: %v", e.err)
		}
		bySent[e.sent] = e
	}
	for range n {
		target := <-results
		client, ok := bySent[target.got]
		if !ok {
			t.Fatalf("target got %v, which no client sent (err %v)", target.got, target.err)
		}
		if err := checkExchange(client, target, client.sent.N, down); err != nil {
			t.Fatal(err)
		}
		delete(bySent, target.got)
	}
	return upTotal
}

// dialExchange connects to addr and runs exchange on the connection.
func dialExchange(addr string, size int64, seed uint64) (e exchanged) {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return exchanged{err: err}
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ioDeadline))
	e.sent, e.got, e.err = exchange(c.(*net.TCPConn), size, seed)
	return e
}

// checkTotals checks n eof records with distinct conn ids and byte sums.
func checkTotals(t *testing.T, recs []record, n int, up, down int64) {
	t.Helper()
	ids := map[int64]bool{}
	var sumUp, sumDown int64
	for _, r := range recs {
		checkRecord(t, r, forward.ReasonEOF, -1, -1)
		ids[r.int(t, "conn")] = true
		sumUp += r.int(t, "bytes_from_client")
		sumDown += r.int(t, "bytes_from_target")
	}
	if len(recs) != n || len(ids) != n {
		t.Errorf("%d records with %d distinct conn ids, want %d", len(recs), len(ids), n)
	}
	if sumUp != up || sumDown != down {
		t.Errorf("records count %d bytes up and %d down, want %d and %d", sumUp, sumDown, up, down)
	}
}

// TestIPv6Loopback forwards from [::1] to [::1].
func TestIPv6Loopback(t *testing.T) {
	handle, results := peerBackend(1 << 20)
	b := startBackend(t, listen(t, "tcp6", "[::1]:0"), handle)
	s := serve(t, &forward.Forwarder{Target: b.addr}, listen(t, "tcp6", "[::1]:0"))
	clientExchange(t, s, results, 1<<20, 1<<20, 6)
	r := s.logs.waitConn(t)
	checkRecord(t, r, forward.ReasonEOF, 1<<20, 1<<20)
	if !strings.HasPrefix(r.str("client"), "[::1]:") || r.str("local") != s.addr || r.str("target") != b.addr {
		t.Errorf("record addresses: client %s local %s target %s, want [::1]:*, %s, %s",
			r.str("client"), r.str("local"), r.str("target"), s.addr, b.addr)
	}
}

// TestTargetHostName gives the target as a host name to resolve.
func TestTargetHostName(t *testing.T) {
	handle, results := peerBackend(100 << 10)
	b := tcpBackend(t, handle)
	_, port, _ := net.SplitHostPort(b.addr)
	s := serveTCP(t, &forward.Forwarder{Target: "localhost:" + port})
	clientExchange(t, s, results, 100<<10, 100<<10, 5)
	r := s.logs.waitConn(t)
	checkRecord(t, r, forward.ReasonEOF, 100<<10, 100<<10)
	if r.str("target") != b.addr {
		t.Errorf("record target %s, want the address dialled, %s", r.str("target"), b.addr)
	}
}
