package main

import (
	"net"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// TestExitIdleTime: under socket activation, --exit-idle-time=0.5 keeps
// redir running while a connection is open, idle or not, however long,
// and ends it with status 0 about half a second after the last one closed.
func TestExitIdleTime(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	p := startActivated(t, []string{"-l", addr}, "--exit-idle-time=0.5", "-l", "info", backend)
	testenv.WaitListening(t, addr)
	c := dialRetry(t, addr) // starts redir
	roundTrip(t, c, "hello")
	p.waitLog(t, "listening on")
	// Open and silent for 3 idle times, then busy for a while.
	select {
	case <-p.Done:
		t.Fatalf("redir exited while a connection was open:\n%s", p.Stderr)
	case <-time.After(1500 * time.Millisecond):
	}
	c2 := dialRetry(t, addr)
	roundTrip(t, c2, "second")
	c.Close()
	for i := range 4 {
		time.Sleep(200 * time.Millisecond)
		roundTrip(t, c2, "still here "+string(rune('0'+i)))
	}
	closed := time.Now()
	c2.Close()
	if code := p.exitCode(t, 10*time.Second); code != 0 {
		t.Fatalf("exit status %d, want 0", code)
	}
	if d := time.Since(closed); d < 450*time.Millisecond || d > 3*time.Second {
		t.Errorf("exited %v after the last connection closed, want about 0.5s", d)
	}
	p.waitLog(t, "no connection for 500ms, exiting")
	p.waitLog(t, "NOTICE stopped connections=2")
}
