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

// badCase is a command line and what its error must contain: the bad
// value, quoted where the error quotes it.
type badCase struct {
	args []string
	want string
}

// checkBad checks that bad input is a one-line error naming the value, with
// no config and no output.
func checkBad(t *testing.T, tests []badCase) {
	t.Helper()
	for _, tt := range tests {
		var out bytes.Buffer
		cfg, done, err := parseArgs(tt.args, &out)
		switch {
		case err == nil:
			t.Errorf("parseArgs(%q) = %+v, want an error containing %q", tt.args, cfg, tt.want)
		case !strings.Contains(err.Error(), tt.want):
			t.Errorf("parseArgs(%q) error %q, want it to contain %q", tt.args, err, tt.want)
		case strings.Contains(err.Error(), "\n"):
			t.Errorf("parseArgs(%q) error %q is not one line", tt.args, err)
		case done || out.Len() != 0 || !reflect.DeepEqual(cfg, config{}):
			t.Errorf("parseArgs(%q): done=%v output %q config %+v along with the error", tt.args, done, out.String(), cfg)
		}
	}
}

// TestParseBadArgs covers unknown options, missing option values and the
// count of arguments.
func TestParseBadArgs(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"--bogus", ":80", ":90"}, "--bogus"},
		{[]string{"-q", ":80", ":90"}, "-q"},
		{[]string{":80", ":90", "-t"}, "--timeout"},
		{[]string{"--bind"}, "--bind"},
		{[]string{":80", ":90", "-l"}, "--loglevel"},
		{[]string{"--lport"}, "--lport"},
		{[]string{}, "missing arguments"},
		{[]string{":80"}, `":80"`},
		{[]string{":80", ":90", ":100"}, ":100"},
		{[]string{"-n", ":80", ":90", "-s", ":100"}, ":100"},
		{[]string{"-i", ":80", ":90"}, `":90"`},
	})
}

// TestParseBadAddresses covers malformed [HOST]:PORT arguments.
func TestParseBadAddresses(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"127.0.0.1:0", ":90"}, `invalid port "0" in "127.0.0.1:0": must be 1-65535`},
		{[]string{":80", ":65536"}, `"65536"`},
		{[]string{":-1", ":90"}, `"-1"`},
		{[]string{":99999999999999999999", ":90"}, `"99999999999999999999"`},
		{[]string{":nosuch", ":90"}, `unknown service "nosuch" in ":nosuch"`},
		{[]string{":80", "host:"}, `missing port in "host:"`},
		{[]string{"80", ":90"}, `"80"`},
		{[]string{":80", "::1:90"}, `"::1:90": put an IPv6 address in brackets`},
		{[]string{"[::1:80", ":90"}, `"[::1:80"`},
		{[]string{"[::1]80", ":90"}, `"[::1]80"`},
		{[]string{"[1.2.3.4]:80", ":90"}, `"1.2.3.4"`},
		{[]string{"[zz]:80", ":90"}, `"zz"`},
		{[]string{"[]:80", ":90"}, `"[]:80"`},
		{[]string{"a b:80", ":90"}, `"a b"`},
		{[]string{"1.2.3.400:80", ":90"}, `"1.2.3.400"`},
		{[]string{":80", "häst:90"}, `"häst"`},
	})
}

// TestParseBadValues covers bad option values, the features' included.
func TestParseBadValues(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"-l", "loud", ":80", ":90"}, `unknown log level "loud": want none, err, notice, info or debug`},
		{[]string{"-l", "", ":80", ":90"}, `log level ""`},
		{[]string{"--loglevel=ERR", ":80", ":90"}, `"ERR"`},
		{[]string{"-I", "", ":80", ":90"}, `-I/--ident ""`},

		{[]string{"-t", "-5", ":80", ":90"}, `"-5"`},
		{[]string{"--timeout=-5", ":80", ":90"}, `"-5"`},
		{[]string{"-t", "abc", ":80", ":90"}, `"abc"`},
		{[]string{"-t", "1e3", ":80", ":90"}, `"1e3"`},
		{[]string{"-t", "1.2.3", ":80", ":90"}, `"1.2.3"`},
		{[]string{"-t", ".", ":80", ":90"}, `"."`},
		{[]string{"-t", "", ":80", ":90"}, `-t/--timeout ""`},
		{[]string{"-t", "99999999999999", ":80", ":90"}, `"99999999999999"`},
		{[]string{"--connect-timeout=0", ":80", ":90"}, `--connect-timeout "0"`},
		{[]string{"--drain-timeout=x", ":80", ":90"}, `--drain-timeout "x"`},
		{[]string{"--max-connections=-1", ":80", ":90"}, `--max-connections "-1"`},
		{[]string{"--max-connections=lots", ":80", ":90"}, `"lots"`},

		{[]string{"-b", "foo", ":80", ":90"}, `-b/--bind address "foo"`},
		{[]string{"--bind_addr=1.2.3.4.5", ":80", ":90"}, `"1.2.3.4.5"`},
		{[]string{"-b", "", ":80", ":90"}, `-b/--bind address ""`},
		{[]string{"-b", "-n", ":80", ":90"}, `"-n"`},

		{[]string{"-f", "x", ":80", ":90"}, `-f/--ftp type "x"`},
		{[]string{"-o", "4", ":80", ":90"}, `-o/--wait-in-out "4"`},
		{[]string{"--wait_in_out=0", ":80", ":90"}, `"0"`},
		{[]string{"-z", "255", ":80", ":90"}, `-z/--bufsize "255"`},
		{[]string{"-m", "0", ":80", ":90"}, `-m/--max-bandwidth "0"`},
		{[]string{"--max_bandwidth=fast", ":80", ":90"}, `"fast"`},
		{[]string{"-w", "-1", ":80", ":90"}, `-w/--random-wait "-1"`},
		{[]string{"--random_wait=x", ":80", ":90"}, `"x"`},
		{[]string{"-x", "", ":80", ":90"}, `-x/--connect ""`},
	})
}

// TestParseBadV2 covers the redir 2.x options.
func TestParseBadV2(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"--lport=80"}, "missing --cport"},
		{[]string{"--cport=80"}, "missing --lport"},
		{[]string{"--laddr=::1", "--caddr=::1"}, "missing --lport"},
		{[]string{"--lport=0", "--cport=80"}, `"0"`},
		{[]string{"--lport=80", "--cport=nosuch"}, `"nosuch"`},
		{[]string{"--lport=80", "--cport=90", ":80", ":90"}, `":80"`},
		{[]string{"--lport=80", "--cport=90", "--laddr=a b"}, `"a b"`},
		{[]string{"--lport=80", "--cport=90", "--caddr=::1::2"}, `"::1::2"`},
		{[]string{"-i", "--lport=80", "--cport=90"}, "--lport"},
	})
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
