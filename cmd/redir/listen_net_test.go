package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestListenIPv4AddressIsIPv4Only: SRC 0.0.0.0 listens on IPv4 only, as
// systemd's ListenStream= and redir 3.3 do, so that another redirector can
// hold an IPv6 address on the same port (Go's "tcp" would have opened
// [::] for both families).
func TestListenIPv4AddressIsIPv4Only(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	port := portFree(t, "127.0.0.1", "::1")
	p := startRedir(t, "-n", "0.0.0.0:"+port, backend)
	c := dialRetry(t, net.JoinHostPort("127.0.0.1", port))
	roundTrip(t, c, "over IPv4")
	c.Close()
	six := startRedir(t, "-n", "[::1]:"+port, backend)
	c6 := dialRetry(t, net.JoinHostPort("::1", port))
	roundTrip(t, c6, "over IPv6, from a second redir on [::1]")
	c6.Close()
	six.stopOK(t)
	p.stopOK(t)
}

// TestBackgroundRelativeConfig: a relative --config names a file in the
// directory redir was started in, also for the background child (which
// then leaves that directory for /).
func TestBackgroundRelativeConfig(t *testing.T) {
	becomeSubreaper(t)
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	dir := t.TempDir()
	conf := "listen = " + addr + "\ntarget = " + backend + "\nloglevel = none\n"
	if err := os.WriteFile(filepath.Join(dir, "rel.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	marker := "--ident=redir-relconf-" + filepath.Base(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, redirBin, "--config", "rel.conf", marker)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	t.Cleanup(func() {
		for _, pid := range daemonsOf(t, marker) {
			if st := stopDaemon(pid); !st.Exited() || st.ExitStatus() != 0 {
				t.Errorf("daemon %d ended with status %#x after SIGTERM, want exit 0", pid, st)
			}
		}
	})
	if err != nil || stderr.Len() != 0 {
		t.Fatalf("redir --config rel.conf in %s: %v, stderr %q", dir, err, stderr.String())
	}
	c := dialRetry(t, addr)
	roundTrip(t, c, "relative config in the background")
	c.Close()
	for _, pid := range daemonsOf(t, marker) {
		if cwd, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); cwd != "/" {
			t.Errorf("daemon %d working directory %q, want /", pid, cwd)
		}
	}
}
