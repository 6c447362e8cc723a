package main

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// base is the config for ":80 :8080" with no options; cases change it.
func base(change func(*config)) config {
	cfg := config{
		Listen:         []string{":80"},
		Target:         "localhost:8080",
		Ident:          "redir",
		LogLevel:       levelNotice,
		ConnectTimeout: 10 * time.Second,
		DrainTimeout:   5 * time.Second,
	}
	if change != nil {
		change(&cfg)
	}
	return cfg
}

// goodCase is a command line and the config it must give.
type goodCase struct {
	args []string
	want config
}

func checkGood(t *testing.T, tests []goodCase) {
	t.Helper()
	for _, tt := range tests {
		var out bytes.Buffer
		cfg, done, err := parseArgs(tt.args, &out)
		if err != nil || done || out.Len() != 0 {
			t.Errorf("parseArgs(%q): done=%v err=%v output %q", tt.args, done, err, out.String())
			continue
		}
		if !reflect.DeepEqual(cfg, tt.want) {
			t.Errorf("parseArgs(%q)\n got %+v\nwant %+v", tt.args, cfg, tt.want)
		}
	}
}

func TestParseAddresses(t *testing.T) {
	checkGood(t, []goodCase{
		{[]string{":80", ":8080"}, base(nil)},
		{[]string{":80", "127.0.0.1:8080"}, base(func(c *config) { c.Target = "127.0.0.1:8080" })},
		{[]string{"0.0.0.0:80", "example.com:8080"}, base(func(c *config) {
			c.Listen, c.Target = []string{"0.0.0.0:80"}, "example.com:8080"
		})},
		{[]string{"[::1]:80", "[::1]:8080"}, base(func(c *config) { c.Listen, c.Target = []string{"[::1]:80"}, "[::1]:8080" })},
		{[]string{"[fe80::1%lo]:80", "[2001:db8::1]:8080"}, base(func(c *config) {
			c.Listen, c.Target = []string{"[fe80::1%lo]:80"}, "[2001:db8::1]:8080"
		})},
		{[]string{"localhost:http", ":https"}, base(func(c *config) { c.Listen, c.Target = []string{"localhost:80"}, "localhost:443" })},
		{[]string{":ssh", "my_host.example-1:080"}, base(func(c *config) { c.Listen, c.Target = []string{":22"}, "my_host.example-1:80" })},
		{[]string{":65535", ":1"}, base(func(c *config) { c.Listen, c.Target = []string{":65535"}, "localhost:1" })},
		// getopt permutes: options may follow or sit between the arguments.
		{[]string{":80", "-n", ":8080", "--timeout", "7"}, base(func(c *config) { c.Foreground, c.IdleTimeout = true, 7*time.Second })},
		{[]string{"--", ":80", ":8080"}, base(nil)},
	})
}

// TestParseOptions gives every option in its short form, then its long
// form, then the underscore aliases.
func TestParseOptions(t *testing.T) {
	checkGood(t, []goodCase{
		{[]string{"-b", "127.0.0.2", "-I", "web", "-l", "debug", "-n", "-s", "-t", "30", ":80", ":8080"}, base(func(c *config) {
			c.Bind, c.Ident, c.LogLevel, c.Foreground, c.Syslog, c.IdleTimeout = "127.0.0.2", "web", slog.LevelDebug, true, true, 30*time.Second
		})},
		{[]string{"--bind=::1", "--ident", "web", "--loglevel=info", "--foreground", "--syslog", "--timeout=1.5", ":80", ":8080"}, base(func(c *config) {
			c.Bind, c.Ident, c.LogLevel, c.Foreground, c.Syslog, c.IdleTimeout = "::1", "web", slog.LevelInfo, true, true, 1500*time.Millisecond
		})},
		{[]string{"--bind_addr", "[::1]", "--name=web", ":80", ":8080"}, base(func(c *config) { c.Bind, c.Ident = "::1", "web" })},
		{[]string{"-nst3", "-l", "err", ":80", ":8080"}, base(func(c *config) {
			c.Foreground, c.Syslog, c.IdleTimeout, c.LogLevel = true, true, 3*time.Second, slog.LevelError
		})},
		{[]string{"-t0", "-lnone", ":80", ":8080"}, base(func(c *config) { c.LogLevel = levelNone })},
		{[]string{"-l", "notice", ":80", ":8080"}, base(nil)},
		{[]string{"--connect-timeout=2.5", "--drain-timeout", "0", "--max-connections=100", ":80", ":8080"}, base(func(c *config) {
			c.ConnectTimeout, c.DrainTimeout, c.MaxConns = 2500*time.Millisecond, 0, 100
		})},
	})
}

// TestParseV2 checks the redir 2.x options, which imply -n.
func TestParseV2(t *testing.T) {
	checkGood(t, []goodCase{
		{[]string{"--lport=80", "--cport=8080"}, base(func(c *config) { c.Foreground = true })},
		{[]string{"--lport", "http", "--cport", "8080", "--laddr", "127.0.0.1", "--caddr=::1"}, base(func(c *config) {
			c.Listen, c.Target, c.Foreground = []string{"127.0.0.1:80"}, "[::1]:8080", true
		})},
		{[]string{"--laddr=[::1]", "--lport=80", "--caddr=example.com", "--cport=https", "-s"}, base(func(c *config) {
			c.Listen, c.Target, c.Foreground, c.Syslog = []string{"[::1]:80"}, "example.com:443", true, true
		})},
	})
}

func TestParseHelpVersion(t *testing.T) {
	tests := []struct {
		args []string
		want []string // in the output
	}{
		{[]string{"-h"}, []string{"Usage: redir", "[SRC]:PORT [DST]:PORT"}},
		{[]string{"--help"}, []string{"Usage: redir"}},
		{[]string{"-l", "loud", "-h", ":0"}, []string{"Usage: redir"}}, // help wins over bad values
		{[]string{"-v"}, []string{"redir dev\n"}},
		{[]string{"--version", ":80", ":90"}, []string{"redir dev\n"}},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		_, done, err := parseArgs(tt.args, &out)
		if err != nil || !done {
			t.Errorf("parseArgs(%q): done=%v err=%v, want done", tt.args, done, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("parseArgs(%q) printed %q, want it to contain %q", tt.args, out.String(), w)
			}
		}
	}
}

// TestParseHelpNamesEveryOption checks that -h lists every option in its
// short and long form.
func TestParseHelpNamesEveryOption(t *testing.T) {
	var out bytes.Buffer
	if _, _, err := parseArgs([]string{"-h"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, opt := range []string{
		"-b, --bind=", "-f, --ftp=", "-h, --help", "-i, --inetd", "-I, --ident=", "-l, --loglevel=",
		"-n, --foreground", "-p, --transproxy", "-s, --syslog", "-t, --timeout=", "-v, --version",
		"-x, --connect=", "-m, --max-bandwidth=", "-o, --wait-in-out=", "-w, --random-wait=",
		"-z, --bufsize=", "--connect-timeout=", "--drain-timeout=", "--max-connections=",
		"--lport=", "--laddr=", "--cport=", "--caddr=", "--bind_addr", "--max_bandwidth",
		"--random_wait", "--wait_in_out", "--name",
	} {
		if !strings.Contains(out.String(), opt) {
			t.Errorf("-h does not mention %q", opt)
		}
	}
}

// TestParseInetdForms checks how -i reads its arguments (inherit_test.go
// has the rest of -i and socket activation).
func TestParseInetdForms(t *testing.T) {
	tests := []struct {
		args   []string
		target string
	}{
		{[]string{"-i", ":8080"}, "localhost:8080"},
		{[]string{"-i", "[::1]:http"}, "[::1]:80"},
		{[]string{"-i", "--cport=8080", "--caddr=127.0.0.1"}, "127.0.0.1:8080"},
	}
	for _, tt := range tests {
		var c cliArgs
		if err := c.parse(tt.args, &bytes.Buffer{}); err != nil {
			t.Fatal(err)
		}
		cfg, err := c.toConfig()
		if err != nil || !cfg.Inetd || cfg.Target != tt.target || cfg.Listen != nil {
			t.Errorf("%q: config %+v, err %v; want Inetd, target %q, no Listen", tt.args, cfg, err, tt.target)
		}
	}
}

// FuzzParseArgs feeds space-separated command lines: parsing must not
// panic, errors are one line, and a config has numeric ports.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{":80 :90", "-nst3 [::1]:http host:https", "--lport=1 --cport=2",
		"-t -5 :0 ::1:80", "-h", "-b -- :80", "-l loud", "--bind_addr=::1 -I x :1 :2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		args := strings.Fields(line)
		cfg, done, err := parseArgs(args, &bytes.Buffer{})
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Errorf("error %q is not one line", err)
			}
			return
		}
		if done {
			return
		}
		for _, addr := range append(cfg.Listen, cfg.Target) {
			if _, _, err := splitAddr(addr); err != nil {
				t.Errorf("%q gave address %q that does not parse back: %v", args, addr, err)
			}
		}
	})
}
