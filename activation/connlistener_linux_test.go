package activation

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestConnListenerOnce: the connection once, then Accept waits until
// Close and reports net.ErrClosed.
func TestConnListenerOnce(t *testing.T) {
	client, server := connPair(t)
	l := NewConnListener(server)
	c, err := l.Accept()
	if err != nil || c != server {
		t.Fatalf("first Accept: %v, %v", c, err)
	}
	errc := make(chan error, 1)
	go func() { _, err := l.Accept(); errc <- err }()
	select {
	case err := <-errc:
		t.Fatalf("second Accept returned %v before Close", err)
	case <-time.After(100 * time.Millisecond):
	}
	// The connection outlives the listener's Close: its server owns it.
	l.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second Accept: %v, want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept still waiting after Close")
	}
	if _, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	exchange(t, client, c)
}

// TestConnListenerCloseFirst: closed before anyone accepted, the listener
// closes its connection and yields nothing.
func TestConnListenerCloseFirst(t *testing.T) {
	client, server := connPair(t)
	l := NewConnListener(server)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l.Close()
	if c, err := l.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v, %v", c, err)
	}
	client.SetDeadline(time.Now().Add(5 * time.Second))
	if n, err := client.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Fatalf("client read %d, %v; want EOF", n, err)
	}
}
