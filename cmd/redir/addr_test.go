package main

import (
	"net"
	"strconv"
	"strings"
	"testing"
)

func TestAddrListenTarget(t *testing.T) {
	tests := []struct {
		arg            string
		listen, target string
	}{
		{":80", ":80", "localhost:80"},
		{"127.0.0.1:8080", "127.0.0.1:8080", "127.0.0.1:8080"},
		{"[::1]:80", "[::1]:80", "[::1]:80"},
		{"[::]:80", "[::]:80", "[::]:80"},
		{"[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]:80"},
		{"www.example.com:http", "www.example.com:80", "www.example.com:80"},
		{"localhost:https", "localhost:443", "localhost:443"},
		{"host:00022", "host:22", "host:22"},
		{":ssh", ":22", "localhost:22"},
	}
	for _, tt := range tests {
		if got, err := listenAddr(tt.arg); err != nil || got != tt.listen {
			t.Errorf("listenAddr(%q) = %q, %v; want %q", tt.arg, got, err, tt.listen)
		}
		if got, err := targetAddr(tt.arg); err != nil || got != tt.target {
			t.Errorf("targetAddr(%q) = %q, %v; want %q", tt.arg, got, err, tt.target)
		}
	}
}

// TestAddrServiceNames checks names against the port numbers the Go
// resolver knows for them (from /etc/services, or its built-in table).
func TestAddrServiceNames(t *testing.T) {
	for name, want := range map[string]string{"http": "80", "https": "443", "ssh": "22", "smtp": "25", "telnet": "23"} {
		got, err := parsePort(name, ":"+name)
		if err != nil || got != want {
			t.Errorf("parsePort(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
}

func TestAddrBad(t *testing.T) {
	tests := []struct{ arg, want string }{
		{"", `invalid address "": want [HOST]:PORT`},
		{"80", `invalid address "80": want [HOST]:PORT`},
		{":", `missing port in ":"`},
		{":0", `invalid port "0" in ":0": must be 1-65535`},
		{":65536", `invalid port "65536" in ":65536": must be 1-65535`},
		{":+0", `invalid port "+0"`},
		{":-80", `invalid port "-80"`},
		{":8o", `unknown service "8o" in ":8o"`},
		{":no such", `unknown service "no such"`},
		{"::1:80", `invalid address "::1:80": put an IPv6 address in brackets, as in [::1]:80`},
		{"::1", `put an IPv6 address in brackets`},
		{"[::1]", `invalid address "[::1]": want [IPv6]:PORT`},
		{"[::1:80", `invalid address "[::1:80": missing ']'`},
		{"[::1]x:80", `invalid address "[::1]x:80"`},
		{"[127.0.0.1]:80", `invalid IPv6 address "127.0.0.1" in "[127.0.0.1]:80"`},
		{"[host]:80", `invalid IPv6 address "host"`},
		{"10.0.0.256:80", `bad IPv4 address "10.0.0.256"`},
		{"1.2.3:80", `bad IPv4 address "1.2.3"`},
		{"a/b:80", `bad host name "a/b"`},
		{strings.Repeat("a", 254) + ":80", "longer than 253 bytes"},
	}
	for _, tt := range tests {
		_, _, err := splitAddr(tt.arg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("splitAddr(%q) error %v, want it to contain %q", tt.arg, err, tt.want)
		}
	}
}

func TestAddrBindIP(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1": "127.0.0.1", "::1": "::1", "[::1]": "::1", "0:0::1": "::1", "fe80::1%lo": "fe80::1%lo",
	} {
		if got, err := parseIP(in); err != nil || got != want {
			t.Errorf("parseIP(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "localhost", "1.2.3.4.5", "[::1", "::1]", "1.2.3.4:80"} {
		if got, err := parseIP(in); err == nil {
			t.Errorf("parseIP(%q) = %q, want an error", in, got)
		}
	}
}

// FuzzSplitAddr checks that splitAddr either names its input in a one-line
// error or returns a port 1-65535 and a host that net.JoinHostPort and
// net.SplitHostPort carry through unchanged.
func FuzzSplitAddr(f *testing.F) {
	for _, s := range []string{":80", "1.2.3.4:http", "[::1]:443", "[fe80::1%eth0]:1", "::1:80",
		"[::1", "a b:1", "host:", "x:65536", "[1.2.3.4]:80", "[]:1", ":-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		host, port, err := splitAddr(arg)
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\n\r") || !strings.Contains(msg, strconv.Quote(arg)) {
				t.Errorf("splitAddr(%q) error %q: want one line quoting the input", arg, msg)
			}
			return
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
			t.Errorf("splitAddr(%q) port %q, want 1-65535 in decimal", arg, port)
		}
		h, p, err := net.SplitHostPort(net.JoinHostPort(host, port))
		if err != nil || h != host || p != port {
			t.Errorf("splitAddr(%q) = %q, %q: does not survive JoinHostPort/SplitHostPort", arg, host, port)
		}
	})
}
