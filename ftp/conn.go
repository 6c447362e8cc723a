package ftp

import (
	"net"

	"github.com/redir-project/redir/forward"
)

// ctlConn is one side of the control connection: what is read from it
// is rewritten line by line; closing it ends the session.
type ctlConn struct {
	net.Conn
	s     *session
	lines *lineReader
}

func (c *ctlConn) Read(p []byte) (int, error) { return c.lines.Read(p) }
func (c *ctlConn) CloseWrite() error          { return forward.CloseWrite(c.Conn) }

// Close closes the conn and ends the session (again, when the other side
// or an earlier Close ended it: shutdown may be called any number of
// times), waiting for its data goroutines: after it returns, the session
// calls Relay no more.
func (c *ctlConn) Close() error {
	err := c.Conn.Close()
	c.s.shutdown()
	return err
}

// clientConn is the control connection's client side: what is read from
// it is the client's commands, rewritten; what is written to it goes
// through the session's replyWriter. The server side, with Pasv, is a
// plain ctlConn whose lines are the server's replies.
type clientConn struct{ ctlConn }

func (c *clientConn) Write(p []byte) (int, error) { return c.s.toc.Write(p) }
