package main

import (
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/ftp"
)

// ftpEchoControl starts redir -f both in front of an echo server and
// returns it with a control connection to it (10 s deadline).
func ftpEchoControl(t *testing.T) (*redirProc, net.Conn) {
	t.Helper()
	backend := startBackend(t, "127.0.0.1:0", echo)
	src := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "-f", "both", src, backend)
	c := dialRetry(t, src)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return p, c
}

// TestFTPLineTooLong: a control line over ftp.MaxLineLength ends the
// connection, once the lines before it are passed on, with a record that
// says why.
func TestFTPLineTooLong(t *testing.T) {
	p, c := ftpEchoControl(t)
	long := "NOOP\r\n" + strings.Repeat("x", ftp.MaxLineLength+1) + "\r\n"
	if _, err := c.Write([]byte(long)); err != nil {
		t.Fatal(err)
	}
	// Whether the echo of NOOP makes it back before the close is a race.
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the connection is still open")
	}
	p.waitLog(t, `bytes_from_client=6 bytes_from_target=`)
	p.waitLog(t, `reason=error error="ftp: control line too long"`)
}
