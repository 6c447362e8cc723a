package main

import (
	"net"
	"strings"
	"testing"
	"time"
)

func TestListenEveryAddress(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	_, port, _ := net.SplitHostPort(freeAddr(t, "::"))
	p := startRedir(t, "-n", ":"+port, backend)
	p.waitLog(t, "listening on")
	for _, host := range []string{"127.0.0.1", "::1"} {
		c := dialRetry(t, net.JoinHostPort(host, port))
		roundTrip(t, c, "hello over "+host)
	}
}

func TestBindSourceAddress(t *testing.T) {
	seen := make(chan string, 1)
	backend := startBackend(t, "127.0.0.1:0", func(c net.Conn) {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		seen <- host
		echo(c)
	})
	addr := freeAddr(t, "127.0.0.1")
	p := startRedir(t, "-n", "-b", "127.0.0.2", addr, backend)
	p.waitLog(t, "listening on")
	roundTrip(t, dialRetry(t, addr), "from where?")
	if got := <-seen; got != "127.0.0.2" {
		t.Fatalf("backend saw the connection from %s, want 127.0.0.2", got)
	}
}

// TestRuntimeErrors: errors found at start exit 1 with one line naming
// the culprit, in the foreground and the background alike.
func TestRuntimeErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { busy.Close() })
	target := freeAddr(t, "127.0.0.1")
	absent4, _ := absentAddrs(t)
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"busy port", []string{"-n", busy.Addr().String(), target}, []string{busy.Addr().String(), "address already in use"}},
		{"bind not on host", []string{"-n", "-b", absent4, freeAddr(t, "127.0.0.1"), target}, []string{absent4}},
		{"bind not on host, background", []string{"-l", "none", "-b", absent4, freeAddr(t, "127.0.0.1"), target}, []string{absent4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startRedir(t, tc.args...)
			if code := p.exitCode(t, 10*time.Second); code != 1 {
				t.Fatalf("exit status %d, want 1", code)
			}
			checkOneLineError(t, p.Stderr.String(), tc.want...)
		})
	}
}

// checkOneLineError checks that stderr is one "redir: " line holding want.
func checkOneLineError(t *testing.T, stderr string, want ...string) {
	t.Helper()
	if !strings.HasPrefix(stderr, "redir: ") || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
		t.Fatalf("stderr is not one \"redir: ...\" line: %q", stderr)
	}
	for _, w := range want {
		if !strings.Contains(stderr, w) {
			t.Errorf("stderr %q does not name %q", stderr, w)
		}
	}
}
