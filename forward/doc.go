// Package forward relays accepted TCP connections to a target. It dials the
// target afresh for every connection, copies both directions (splice(2)
// through a pooled pipe when both ends are *net.TCPConn), passes half-close
// through, applies the idle timeout and reports one record per connection
// with its byte counts and why it ended.
//
// It knows nothing about systemd, inetd, FTP or shaping: front-ends hand it
// net.Listeners, and anything that needs the bytes in user space wraps the
// connections before they reach it.
package forward
