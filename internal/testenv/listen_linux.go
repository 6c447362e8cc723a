package testenv

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// WaitListening waits up to 10 s for ss to show a TCP listener on addr
// (as ss writes it: "127.0.0.1:80", "[::1]:80", "*:80"). It does not
// connect: under inetd or --accept a connection would start a child.
func WaitListening(t testing.TB, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command("ss", "-Hltn").Output()
		if err != nil {
			t.Fatalf("ss -Hltn: %v", err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if f := strings.Fields(line); len(f) >= 4 && f[3] == addr {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s after 10s:\n%s", addr, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
