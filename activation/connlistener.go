package activation

import (
	"net"
	"sync"
)

// A ConnListener is a net.Listener for one connection that someone else
// accepted (systemd Accept=yes, inetd nowait). Its first Accept returns
// that connection. Later calls wait until Close and then report
// net.ErrClosed: the connection is still being relayed then, and a server
// that stops at its listener's first error must not stop under it. Whoever
// serves it closes the listener once the connection is done.
type ConnListener struct {
	mu     sync.Mutex
	conn   net.Conn // nil once accepted or closed
	local  net.Addr
	remote net.Addr
	closed chan struct{}
	once   sync.Once
}

// NewConnListener returns a listener that yields c once. It owns c until
// then: closing the listener first closes c.
func NewConnListener(c net.Conn) *ConnListener {
	return &ConnListener{conn: c, local: c.LocalAddr(), remote: c.RemoteAddr(), closed: make(chan struct{})}
}

// Accept returns the connection on its first call; then it waits for
// Close.
func (l *ConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.closed
	return nil, &net.OpError{Op: "accept", Net: l.local.Network(), Addr: l.local, Err: net.ErrClosed}
}

// Close ends any Accept waiting and closes the connection if Accept has
// not returned it. It is safe to call more than once.
func (l *ConnListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c.Close()
	}
	return nil
}

// Addr is the connection's local address.
func (l *ConnListener) Addr() net.Addr { return l.local }

// RemoteAddr is the client's address, for the logs.
func (l *ConnListener) RemoteAddr() net.Addr { return l.remote }
