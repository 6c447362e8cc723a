package forward_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestShutdownWhileAccepting cancels Serve, with DrainTimeout negative
// (close everything at once), while clients keep connecting and holding
// their connections open. Every one of them, however far it got (just
// accepted, resolving the target, dialling, relaying), must be closed:
// one that registers its abort after the drain closed the others keeps
// Serve waiting for it.
func TestShutdownWhileAccepting(t *testing.T) {
	b := tcpBackend(t, func(c *net.TCPConn) { echo(c) })
	_, port, _ := net.SplitHostPort(b.addr)
	for _, kind := range listenerKinds {
		for _, target := range []string{b.addr, "localhost:" + port} {
			t.Run(kind.name+"/"+target, func(t *testing.T) {
				for round := 0; round < 5; round++ {
					s := kind.serve(t, &forward.Forwarder{Target: target, DrainTimeout: -1})
					stopClients := hammer(t, s.addr, 4)
					time.Sleep(30 * time.Millisecond)
					if err := s.stop(t, 3*time.Second); err != nil {
						t.Errorf("Serve: %v", err)
					}
					stopClients()
					if st := s.f.Stats(); st.Open != 0 {
						t.Fatalf("round %d: stats %+v after Serve returned, want none open", round, st)
					}
				}
			})
		}
	}
}

// hammer runs n clients that connect again and again, holding every
// connection open, until the returned func is called; it closes them all.
func hammer(t *testing.T, addr string, n int) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				select {
				case <-done:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", addr, time.Second)
				if err != nil {
					time.Sleep(time.Millisecond)
					continue
				}
				c.Write([]byte("hello"))
				mu.Lock()
				conns = append(conns, c)
				mu.Unlock()
			}
		}()
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			wg.Wait()
			for _, c := range conns {
				c.Close()
			}
		})
	}
	t.Cleanup(stop) // before Serve's cleanup, which waits for the conns
	return stop
}
