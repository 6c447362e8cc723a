package forward_test

import (
	"fmt"
	"io"
	"net"
	"runtime/debug"
	"sync"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// fdBackend serves the connections of TestNoFDLeak; the client's first
// byte picks how the connection goes.
func fdBackend(t *testing.T) *backend {
	release := make(chan struct{})
	b := tcpBackend(t, func(c *net.TCPConn) {
		var first [1]byte
		if _, err := io.ReadFull(c, first[:]); err != nil {
			return
		}
		switch first[0] {
		case 0: // normal: read to EOF, reply 100 bytes
			if _, err := io.Copy(io.Discard, c); err == nil {
				c.Write(make([]byte, 100))
			}
		case 'c': // stream until the client's reset stops it
			sendRandom(c, 64<<20, 1)
		case 't': // reset with the client's bytes unread
			c.SetLinger(0)
		case 'b': // read nothing until the test ends
			<-release
		}
	})
	t.Cleanup(func() { close(release) }) // before the backend's cleanup
	return b
}

// TestNoFDLeak relays 1,000 connections one after the other and counts the
// process's descriptors: nothing is left over once their records are in.
// Then connections end by resets both ways with bytes in flight, and one
// is cut by the drain timeout while blocked: once Serve has returned,
// nothing at all is left. The collector is off, so a conn left to its
// finalizer counts as a leak. Not parallel: it counts fds.
func TestNoFDLeak(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) { noFDLeak(t, kind) })
	}
}

func noFDLeak(t *testing.T, kind listenerKind) {
	const n, warm, resets, slack = 1000, 10, 20, 2
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // no finalizer may close a leaked conn
	b := fdBackend(t)
	before := countFDs(t)
	s := kind.serve(t, &forward.Forwarder{Target: b.addr, DrainTimeout: 200 * time.Millisecond})
	for i := 0; i < warm; i++ {
		shortConn(t, s.addr)
	}
	s.logs.waitConns(t, warm, 5*time.Second)
	serving := countFDs(t)
	sequentialConns(t, s, n, warm, serving+slack)
	resetConns(t, s.addr, resets)
	s.logs.waitConns(t, warm+n+2*resets, 10*time.Second)
	blockedConn(t, s.addr)
	if err := s.stop(t, 5*time.Second); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	eventually(t, 2*time.Second, func() bool { return countFDs(t) <= before+slack },
		func() string {
			return fmt.Sprintf("%d fds open after Serve returned, %d before it started", countFDs(t), before)
		})
}

// sequentialConns makes n short connections one after the other, then
// checks their records and that at most fds descriptors are open.
func sequentialConns(t *testing.T, s *server, n, earlier, fds int) {
	t.Helper()
	for i := 0; i < n; i++ {
		shortConn(t, s.addr)
	}
	for _, r := range s.logs.waitConns(t, earlier+n, 10*time.Second) {
		checkRecord(t, r, forward.ReasonEOF, 100, 100)
	}
	eventually(t, 2*time.Second, func() bool { return countFDs(t) <= fds },
		func() string { return fmt.Sprintf("%d fds open after %d connections, want %d", countFDs(t), n, fds) })
}

// shortConn sends 100 bytes, half-closes and reads the 100-byte reply.
func shortConn(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	c.Write(make([]byte, 100))
	c.(*net.TCPConn).CloseWrite()
	if got, err := io.ReadAll(c); err != nil || len(got) != 100 {
		t.Fatalf("reply: %d bytes, %v", len(got), err)
	}
}

// resetConns runs n connections that the client resets while the target
// streams to it, and n that the target resets while the client streams,
// all at once.
func resetConns(t *testing.T, addr string, n int) {
	var wg sync.WaitGroup
	for i := 0; i < 2*n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if i%2 == 0 {
				c.Write([]byte("c"))
				io.ReadFull(c, make([]byte, 100<<10))
				c.(*net.TCPConn).SetLinger(0)
				return
			}
			c.Write([]byte("t"))
			if _, err := sendRandom(c, 64<<20, 2); err == nil {
				t.Error("64 MiB sent to a target that reset its connection")
			}
		}()
	}
	wg.Wait()
}

// blockedConn leaves a connection with bytes in flight that the target
// does not read.
func blockedConn(t *testing.T, addr string) {
	c := dialTCP(t, addr)
	c.Write([]byte("b"))
	go sendRandom(c, 64<<20, 3)
	time.Sleep(200 * time.Millisecond)
}
