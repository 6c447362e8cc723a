package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestOutboundOptions covers what -p, -x and --proxy-protocol put in the
// config, and that they combine.
func TestOutboundOptions(t *testing.T) {
	tests := []struct {
		args  []string
		trans bool
		conn  string
		pp    int
	}{
		{[]string{"-p", ":80", ":90"}, true, "", 0},
		{[]string{"--transproxy", ":80", ":90"}, true, "", 0},
		{[]string{"-x", "example.com:443", ":80", ":90"}, false, "example.com:443", 0},
		{[]string{"--connect=[2001:db8::1]:443", ":80", ":90"}, false, "[2001:db8::1]:443", 0},
		{[]string{"-x", "example.com:https", ":80", ":90"}, false, "example.com:443", 0},
		{[]string{"--proxy-protocol=v1", ":80", ":90"}, false, "", 1},
		{[]string{"--proxy-protocol", "v2", ":80", ":90"}, false, "", 2},
		{[]string{"-p", "-x", "h:22", "--proxy-protocol=v2", ":80", ":90"}, true, "h:22", 2},
	}
	for _, tt := range tests {
		cfg, _, err := parseArgs(tt.args, &bytes.Buffer{})
		if err != nil {
			t.Errorf("parseArgs(%q): %v", tt.args, err)
			continue
		}
		if cfg.Transproxy != tt.trans || cfg.Connect != tt.conn || cfg.ProxyProtocol != tt.pp {
			t.Errorf("parseArgs(%q): -p %v, -x %q, --proxy-protocol v%d; want %v, %q, v%d",
				tt.args, cfg.Transproxy, cfg.Connect, cfg.ProxyProtocol, tt.trans, tt.conn, tt.pp)
		}
	}
}

func TestOutboundBadValues(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"--proxy-protocol=v3", ":80", ":90"}, `--proxy-protocol "v3"`},
		{[]string{"--proxy-protocol=", ":80", ":90"}, `--proxy-protocol ""`},
		{[]string{"-x", "", ":80", ":90"}, `-x/--connect: invalid address ""`},
		{[]string{"-x", "example.com", ":80", ":90"}, `-x/--connect: invalid address "example.com"`},
		{[]string{"-x", ":443", ":80", ":90"}, `-x/--connect: invalid address ":443"`},
		{[]string{"-x", "h:0", ":80", ":90"}, `-x/--connect: invalid port "0" in "h:0"`},
		{[]string{"-x", "h:70000", ":80", ":90"}, `-x/--connect: invalid port "70000" in "h:70000"`},
		{[]string{"-x", "h:nosuchservice", ":80", ":90"}, `-x/--connect: unknown service "nosuchservice" in "h:nosuchservice"`},
		{[]string{"-x", "a b:443", ":80", ":90"}, `-x/--connect: invalid address "a b:443"`},
		{[]string{"-x", "a/b@c:443", ":80", ":90"}, `-x/--connect: invalid address "a/b@c:443"`},
		{[]string{"-x", "[1.2.3.4]:80", ":80", ":90"}, `-x/--connect: invalid IPv6 address "1.2.3.4" in "[1.2.3.4]:80"`},
		{[]string{"-p", "-b", "127.0.0.1", ":80", ":90"}, "-p/--transproxy and -b/--bind"},
		{[]string{"-f", "both", "--proxy-protocol=v1", ":80", ":90"}, "-f/--ftp cannot be given with --proxy-protocol"},
		{[]string{"--proxy-protocol", "v2", "--ftp=pasv", ":80", ":90"}, "-f/--ftp cannot be given with --proxy-protocol"},
	})
}

// TestOutboundDialOff checks that without the options the built-in dial,
// and with it the splice path, stays.
func TestOutboundDialOff(t *testing.T) {
	cfg, _, err := parseArgs([]string{"-b", "127.0.0.1", ":80", ":90"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if d := outboundDial(cfg, &forward.Forwarder{Target: cfg.Target}); d != nil {
		t.Error("outboundDial without -p, -x or --proxy-protocol is a dial, want nil")
	}
	if err := outboundCheck(cfg); err != nil {
		t.Errorf("outboundCheck without -p: %v", err)
	}
}

// TestFTPProxyProtocolRefused: -f with --proxy-protocol is refused however
// the two are given, one of them from a --config file included, and by the
// binary with exit status 2 and one line.
func TestFTPProxyProtocolRefused(t *testing.T) {
	const want = "-f/--ftp cannot be given with --proxy-protocol"
	conf := writeConf(t, "ftp", "listen = 127.0.0.1:2121\ntarget = 127.0.0.1:21\nproxy-protocol = v2\n")
	checkBad(t, []badCase{{[]string{"--config", conf, "-f", "both"}, want}})
	p := startRedir(t, "-n", "-f", "port", "--proxy-protocol=v1", freeAddr(t, "127.0.0.1"), "127.0.0.1:21")
	if code := p.exitCode(t, 10*time.Second); code != 2 {
		t.Fatalf("exit status %d, want 2", code)
	}
	checkOneLineError(t, p.Stderr.String(), want)
}
