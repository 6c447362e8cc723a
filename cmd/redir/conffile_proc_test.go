package main

import (
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/redir-project/redir/internal/testenv"
)

// The real binary with --config: foreground, background, under socket
// activation, and refusing bad files.

// TestConfigFileListens: two listen lines, IPv4 and IPv6, and a target;
// redir -n --config forwards byte-exact on both.
func TestConfigFileListens(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 21))
	port := portFree(t, "127.0.0.1", "::1")
	v4, v6 := net.JoinHostPort("127.0.0.1", port), net.JoinHostPort("::1", port)
	conf := writeConf(t, "two", fmt.Sprintf("# two families\nlisten = %s\nlisten = %s\ntarget = %s\nloglevel = info\n", v4, v6, tw.addr))
	p := startRedir(t, "-n", "--config", conf)
	testenv.WaitListening(t, v4)
	testenv.WaitListening(t, v6)
	tw.check(t, v4, nil, randomBytes(mib, 22))
	tw.check(t, v6, nil, randomBytes(mib, 23))
	p.waitLog(t, "listening on "+v4)
	p.waitLog(t, "listening on "+v6)
	p.stopOK(t)
}

// TestConfigFilePortOnly: "listen = PORT" is every address, IPv4 and IPv6.
func TestConfigFilePortOnly(t *testing.T) {
	tw := startTwoWay(t, randomBytes(1000, 24))
	port := portFree(t, "127.0.0.1", "::1")
	conf := writeConf(t, "any", "listen = "+port+"\ntarget = "+tw.addr+"\nforeground = yes\n")
	p := startRedir(t, "--config", conf)
	testenv.WaitListening(t, "*:"+port)
	tw.check(t, net.JoinHostPort("127.0.0.1", port), nil, randomBytes(1000, 25))
	tw.check(t, net.JoinHostPort("::1", port), nil, randomBytes(1000, 26))
	p.stopOK(t)
}

// TestConfigFileBackground: without -n (and no foreground line) redir
// --config goes to the background once bound, like redir SRC DST.
func TestConfigFileBackground(t *testing.T) {
	backend := startBackend(t, "127.0.0.1:0", echo)
	addr := freeAddr(t, "127.0.0.1")
	conf := writeConf(t, "bg", "listen = "+addr+"\ntarget = "+backend+"\nloglevel = none\n")
	servedInBackground(t, addr, "served in the background from a config file", "--config", conf, "--ident=redir-conf-bg")
	if pids := daemonsOf(t, conf); len(pids) != 1 {
		t.Fatalf("found daemons %v, want exactly one", pids)
	}
}

// TestConfigFileActivated: under socket activation the sockets come from
// systemd, so the file's listen line is ignored and its target used.
func TestConfigFileActivated(t *testing.T) {
	tw := startTwoWay(t, randomBytes(mib, 27))
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	unused := portFree(t, "127.0.0.1", "::1")
	conf := writeConf(t, "act", "listen = "+unused+"\ntarget = "+tw.addr+"\nexit-idle-time = 60\n")
	p := startActivated(t, []string{"-l", addr}, "-l", "debug", "--config", conf)
	testenv.WaitListening(t, addr)
	tw.check(t, addr, nil, randomBytes(mib, 28))
	p.waitLog(t, "listening on "+addr)
	if strings.Contains(p.Stderr.String(), unused) {
		t.Errorf("redir mentions the file's listen port %s under activation", unused)
	}
	p.stopOK(t)
}

// TestConfigFileBadExit: a bad file exits 2 with one line naming the
// file, the line and the key.
func TestConfigFileBadExit(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"listen = 80\ntarget = :81\nmaxbw = 100\n", `:3: unknown key "maxbw"`},
		{"listen = 80\ntarget = :81\n\nloglevel = loud\n", `:4: loglevel: unknown log level "loud"`},
		{"listen = localhost:80\n", `:1: listen: invalid listen address "localhost:80"`},
		{"listen = 8080\ntarget = :81\nlisten = 127.0.0.1:8080\n", `:3: listen: 127.0.0.1:8080 overlaps line 1 (8080): ` +
			`a port alone means every IPv4 and IPv6 address; only one of them could be bound`},
	} {
		conf := writeConf(t, "bad", tt.text)
		code, stdout, stderr := runRedir(t, "-n", "--config", conf)
		if code != 2 || stdout != "" {
			t.Errorf("%q: exit status %d, stdout %q; want 2 and nothing", tt.text, code, stdout)
		}
		checkOneLineError(t, stderr, "redir: "+conf+tt.want)
	}
}
