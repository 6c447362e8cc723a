package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// TestFTPHostile229: a server's 229 reply with ")" for its delimiter, once
// malformed (the fuzzer's crasher) and once well formed, neither kills
// redir: the first reaches the client as 425, the second names redir's
// data listener, and the next connection is served the same way.
func TestFTPHostile229(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		c.Write([]byte("229 ok ())))!!\x1121!)\r\n229 ()))1))\r\n"))
		io.Copy(io.Discard, c)
	})
	src := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-l", "info", "-f", "both", src, backend)
	for i := range 2 {
		c := dialRetry(t, src)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		rd := bufio.NewReader(c)
		if got := readReply(t, rd); !strings.HasPrefix(got, "425 ") {
			t.Fatalf("connection %d: %q, want 425", i, got)
		}
		if got := readReply(t, rd); !strings.HasPrefix(got, "229 Entering Extended Passive Mode (|||") {
			t.Fatalf("connection %d: %q, want redir's 229", i, got)
		}
		c.Close()
	}
	p.waitLog(t, "malformed passive reply")
}

// TestFTPRefusalsEndConnection: a client that keeps naming other hosts
// gets eight 500 replies and a 421, and its connection ends with one
// record saying why; none of it reaches the server.
func TestFTPRefusalsEndConnection(t *testing.T) {
	p, c := ftpEchoControl(t)
	if _, err := c.Write([]byte(strings.Repeat("PORT 127,0,0,2,0,21\r\n", 12))); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	for i := range 8 {
		if got := readReply(t, rd); !strings.HasPrefix(got, "500 ") {
			t.Fatalf("reply %d: %q, want 500", i, got)
		}
	}
	if got := readReply(t, rd); !strings.HasPrefix(got, "421 ") {
		t.Fatalf("reply %q, want 421", got)
	}
	if rest, err := io.ReadAll(rd); len(rest) != 0 || err != nil {
		t.Errorf("after the 421: %q, %v; want the end", rest, err)
	}
	p.waitLog(t, `bytes_from_client=0 `)
	p.waitLog(t, `reason=error error="ftp: 8 PORT or EPRT commands or passive replies refused, control connection closed"`)
	if n := strings.Count(p.Stderr.String(), "bounce refused"); n != 8 {
		t.Errorf("%d bounce records, want 8", n)
	}
}
