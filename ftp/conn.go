package ftp

import (
	"net"
	"sync"
)

// clientConn is the control connection's client side: what is read from
// it is the client's commands, rewritten; what is written to it goes
// through the session's replyWriter.
type clientConn struct {
	net.Conn
	s     *session
	lines *lineReader
	once  sync.Once
}

func (c *clientConn) Read(p []byte) (int, error)  { return c.lines.Read(p) }
func (c *clientConn) Write(p []byte) (int, error) { return c.s.toc.Write(p) }
func (c *clientConn) CloseWrite() error           { return closeWrite(c.Conn) }

// Close closes the conn and ends the session, waiting for its data
// goroutines: after it returns, the session calls Relay no more.
func (c *clientConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.s.shutdown)
	return err
}

// serverConn is the control connection's server side with Pasv: what is
// read from it is the server's replies, rewritten.
type serverConn struct {
	net.Conn
	s     *session
	lines *lineReader
	once  sync.Once
}

func (c *serverConn) Read(p []byte) (int, error) { return c.lines.Read(p) }
func (c *serverConn) CloseWrite() error          { return closeWrite(c.Conn) }

func (c *serverConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.s.shutdown)
	return err
}

// closeWrite half-closes c, or closes it when it cannot half-close.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}
