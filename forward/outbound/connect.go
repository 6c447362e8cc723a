package outbound

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// MaxResponseHeader bounds the proxy's answer to CONNECT, status line and
// header fields together.
const MaxResponseHeader = 16 << 10

// Errors of the CONNECT handshake, wrapped with the details. They go into
// redir's records as they are, so they carry no package prefix: ErrRefused
// names CONNECT and its target, the others come after "CONNECT HOST:PORT: ".
var (
	ErrRefused       = errors.New("the proxy refused CONNECT")
	ErrMalformed     = errors.New("malformed response from the proxy")
	ErrHeaderTooLong = errors.New("the proxy's response header is too long")
)

// handshake asks the HTTP proxy at the other end of c to CONNECT to
// authority (HOST:PORT) and reads its whole response header within ctx.
// On a 2xx status it returns the tunnel: c itself when the proxy sent
// nothing after its header, else a conn that yields those bytes first.
// Any other status, a malformed or oversized header or the end of ctx is
// an error with the status line, when there was one; c is then left open
// for the caller to close.
func handshake(ctx context.Context, c *net.TCPConn, authority string) (net.Conn, error) {
	done := bound(ctx, c)
	req := "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n\r\n"
	br := bufio.NewReaderSize(c, MaxResponseHeader)
	_, err := io.WriteString(c, req)
	status := ""
	if err == nil {
		status, err = readResponse(br)
	}
	if derr := done(); err == nil {
		err = derr
	}
	if err != nil {
		return nil, fmt.Errorf("CONNECT %s: %w", authority, err)
	}
	if status[len("HTTP/1.x ")] != '2' {
		return nil, fmt.Errorf("%w to %s: %q", ErrRefused, authority, status)
	}
	if br.Buffered() == 0 {
		return c, nil
	}
	early, _ := br.Peek(br.Buffered())
	return &prefixConn{Conn: c, early: bytes.NewReader(bytes.Clone(early))}, nil
}

// readResponse reads an HTTP/1.x response header from br, whose buffer
// holds MaxResponseHeader bytes, and returns its status line. Lines may
// end in CRLF or LF alone.
func readResponse(br *bufio.Reader) (string, error) {
	status, total := "", 0
	for {
		line, err := br.ReadSlice('\n')
		total += len(line)
		switch {
		case errors.Is(err, bufio.ErrBufferFull) || total > MaxResponseHeader:
			return status, fmt.Errorf("%w: over %d bytes (status %q)", ErrHeaderTooLong, MaxResponseHeader, status)
		case err == io.EOF && status == "":
			return status, fmt.Errorf("%w: the connection closed before a status line", ErrMalformed)
		case err == io.EOF:
			return status, fmt.Errorf("%w: the connection closed within the header (status %q)", ErrMalformed, status)
		case err != nil && status == "":
			return status, fmt.Errorf("no status line from the proxy: %w", err)
		case err != nil:
			return status, fmt.Errorf("no complete header from the proxy (status %q): %w", status, err)
		}
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if status != "" && text == "" {
			return status, nil
		}
		if status == "" {
			if !validStatus(text) {
				return status, fmt.Errorf("%w: status line %q", ErrMalformed, text)
			}
			status = text
		}
	}
}

// validStatus says whether s is "HTTP/1.0 NNN" or "HTTP/1.1 NNN", with
// an optional reason after a space: the status lines of the only HTTP
// versions that have CONNECT over a plain TCP connection.
func validStatus(s string) bool {
	if len(s) < len("HTTP/1.x NNN") || s[8] != ' ' {
		return false
	}
	if v := s[:8]; v != "HTTP/1.0" && v != "HTTP/1.1" {
		return false
	}
	for _, b := range []byte(s[9:12]) {
		if b < '0' || b > '9' {
			return false
		}
	}
	return len(s) == 12 || s[12] == ' '
}

// bound makes c's reads and writes give up when ctx ends (its deadline, or
// its cancellation); the func it returns lifts that again, or returns
// ctx's error when ctx ended first: c may then have a deadline in the past.
func bound(ctx context.Context, c net.Conn) func() error {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return func() error {
		if !stop() {
			return ctx.Err()
		}
		return c.SetDeadline(time.Time{})
	}
}
