package main

import (
	"bytes"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/cmd/internal/conffile"
)

// writeConf writes text to NAME.conf in a new directory and returns its path.
func writeConf(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name+".conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fullConf sets an option of every kind, two listen lines and a target.
const fullConf = `# the web front
listen = 80
listen = [::1]:8080
target = backend.example:http
ident = web
loglevel = debug
timeout = 30
connect-timeout = 2
drain-timeout = 1.5
max-connections = 5
bind_addr = ::1
foreground = yes
syslog = no
`

// fullConf's lines whose values a start-up check may refuse.
var (
	fullListen80 = conffile.Entry{Key: "listen", Name: "listen", Value: "80", Line: 2, Listen: conffile.Listen{Port: 80}}
	fullListen6  = conffile.Entry{Key: "listen", Name: "listen", Value: "[::1]:8080", Line: 3,
		Listen: conffile.Listen{Addr: netip.IPv6Loopback(), Port: 8080}}
	fullBind = conffile.Entry{Key: "bind", Name: "bind_addr", Value: "::1", Line: 11}
)

// fromFullConf is fullConf's config with change applied.
func fromFullConf(path string, change func(*config)) config {
	cfg := config{
		Listen: []string{":80", "[::1]:8080"}, Target: "backend.example:80",
		Bind: "::1", Foreground: true, Ident: "web", LogLevel: slog.LevelDebug,
		IdleTimeout: 30 * time.Second, ConnectTimeout: 2 * time.Second,
		DrainTimeout: 1500 * time.Millisecond, MaxConns: 5,
		FileLines: conffile.File{Path: path, Entries: []conffile.Entry{fullBind, fullListen80, fullListen6}},
	}
	if change != nil {
		change(&cfg)
	}
	return cfg
}

// TestConfigFileFills checks that the file gives every option the command
// line does not, and that the command line wins for each one it gives.
func TestConfigFileFills(t *testing.T) {
	p := writeConf(t, "web", fullConf)
	checkGood(t, []goodCase{
		{[]string{"--config", p}, fromFullConf(p, nil)},
		{[]string{"--config=" + p, "-I", "cli", "-l", "err", "-t", "5", "--max-connections=9", "-b", "127.0.0.1", "-s"},
			fromFullConf(p, func(c *config) {
				c.Ident, c.LogLevel, c.IdleTimeout, c.MaxConns, c.Bind, c.Syslog = "cli", slog.LevelError, 5*time.Second, 9, "127.0.0.1", true
				c.FileLines.Entries = c.FileLines.Entries[1:] // -b is the command line's
			})},
		// One positional argument is DST; the listen lines stay.
		{[]string{"--config", p, "[::1]:9090"}, fromFullConf(p, func(c *config) { c.Target = "[::1]:9090" })},
		// SRC and DST on the command line replace listen and target.
		{[]string{"--config", p, "127.0.0.1:81", ":82"}, fromFullConf(p, func(c *config) {
			c.Listen, c.Target = []string{"127.0.0.1:81"}, "localhost:82"
			c.FileLines.Entries = []conffile.Entry{fullBind}
		})},
		// The redir 2.x options too.
		{[]string{"--config", p, "--lport=83", "--cport=84"}, fromFullConf(p, func(c *config) {
			c.Listen, c.Target = []string{":83"}, "localhost:84"
			c.FileLines.Entries = []conffile.Entry{fullBind}
		})},
	})
}

// TestConfigFileInherited: under socket activation and -i the sockets are
// inherited, so listen lines are ignored; target or the one argument is DST.
func TestConfigFileInherited(t *testing.T) {
	p := writeConf(t, "act", "listen = 80\ntarget = [::1]:8080\nexit-idle-time = 60\n")
	want := config{
		Target: "[::1]:8080", Activated: true, Foreground: true, Ident: "redir", LogLevel: levelNotice,
		ConnectTimeout: 10 * time.Second, DrainTimeout: 5 * time.Second, ExitIdleTime: time.Minute,
		FileLines: conffile.File{Path: p},
	}
	for _, tt := range []struct {
		args   []string
		target string
	}{
		{[]string{"-n", "--config", p}, "[::1]:8080"},
		{[]string{"--config", p, "127.0.0.1:9"}, "127.0.0.1:9"},
	} {
		cfg, done, err := parseCommandLine(tt.args, &bytes.Buffer{}, true)
		w := want
		w.Target = tt.target
		if err != nil || done || !reflect.DeepEqual(cfg, w) {
			t.Errorf("activated %q: %v %v\n got %+v\nwant %+v", tt.args, done, err, cfg, w)
		}
	}
	cfg, _, err := parseArgs([]string{"-i", "--config", p}, &bytes.Buffer{})
	if err != nil || cfg.Target != "[::1]:8080" || cfg.Listen != nil || !cfg.Inetd {
		t.Errorf("-i --config: %+v, %v", cfg, err)
	}
}

// TestConfigFileBad checks that every error names the file, the line and
// the key, also when the option parser is the one refusing the value.
func TestConfigFileBad(t *testing.T) {
	tests := []struct{ text, want string }{
		{"listen = 80\nmaxbw = 100\n", `:2: unknown key "maxbw"`},
		{"listen = 80\ntarget = :80\nloglevel = loud\n", `:3: loglevel: unknown log level "loud": want none, err, notice, info or debug`},
		{"timeout = -1\n", `:1: timeout: invalid -t/--timeout "-1": want a non-negative number of seconds`},
		{"\nname =\n", `:2: name: invalid -I/--ident "": want a name`},
		{"connect-timeout = 0\n", `:1: connect-timeout: invalid --connect-timeout "0": must be more than 0`},
		{"bind = here\n", `:1: bind: invalid -b/--bind address "here": want an IPv4 or IPv6 address`},
		{"bufsize = 10\n", `:1: bufsize: invalid -z/--bufsize "10": want `},
		{"exit-idle-time = 60\n", `:1: exit-idle-time: --exit-idle-time applies only under socket activation or -i`},
		{"target = [::1]\n", `:1: target: invalid address "[::1]": want [IPv6]:PORT`},
		{"target = :nosuchservice\n", `:1: target: unknown service "nosuchservice" in ":nosuchservice"`},
		{"listen = 80\n", `.conf has no target line, and the command line gives no [DST]:PORT`},
		{"target = :80\n", `.conf has no listen line: give one there, or [SRC]:PORT [DST]:PORT on the command line`},
		{"inetd = yes\n", `:1: key "inetd" is not allowed in a file: give -i on the command line inetd runs`},
	}
	for _, tt := range tests {
		p := writeConf(t, "bad", tt.text)
		_, _, err := parseArgs([]string{"--config", p}, &bytes.Buffer{})
		if err == nil || !strings.HasPrefix(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("file %q: error %v, want %s%s", tt.text, err, p, tt.want)
		}
	}
	for _, args := range [][]string{{"--config", "/nonexistent/x.conf"}, {"--config="}} {
		if _, _, err := parseArgs(args, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--config") {
			t.Errorf("parseArgs(%q) error %v, want one naming --config", args, err)
		}
	}
}

// TestConfigFileHelp: -h and -v answer even when the file is bad.
func TestConfigFileHelp(t *testing.T) {
	p := writeConf(t, "bad", "maxbw = 1\n")
	for _, args := range [][]string{{"--config", p, "-h"}, {"-v", "--config", p}} {
		var out bytes.Buffer
		if _, done, err := parseArgs(args, &out); !done || err != nil || out.Len() == 0 {
			t.Errorf("parseArgs(%q): done %v, err %v, output %q", args, done, err, out.String())
		}
	}
}

// checkFileAliases checks that each spelling the command line takes for
// option name (kong's aliases tag, comma-separated) is a file key for it:
// redir.conf(5) promises that the command line's spellings work there.
func checkFileAliases(t *testing.T, name, aliases string) {
	t.Helper()
	for _, alias := range strings.Split(aliases, ",") {
		if alias == "" {
			continue
		}
		f, err := conffile.Parse(strings.NewReader(alias+" = 1\n"), "aliases.conf")
		if err != nil || len(f.Entries) != 1 || f.Entries[0].Key != name {
			t.Errorf("--%s in a file: %v, %v; want the key %q", alias, f, err, name)
		}
	}
}

// TestConfigFileKeysMatchOptions checks that every long option of the
// command line is a key a file may set or one it refuses, and that every
// key for an option reaches a field of cliArgs.
func TestConfigFileKeysMatchOptions(t *testing.T) {
	keys := conffile.Keys()
	typ := reflect.TypeOf(cliArgs{})
	for i := range typ.NumField() {
		name := typ.Field(i).Tag.Get("name")
		if name == "" {
			continue
		}
		if _, ok := keys[name]; !ok && !conffile.Refused(name) {
			t.Errorf("option --%s is neither a config file key nor refused in a file", name)
		}
		checkFileAliases(t, name, typ.Field(i).Tag.Get("aliases"))
	}
	var c cliArgs
	opts, flags := c.fileOptions(), c.fileFlags()
	for k, kind := range keys {
		_, isOpt := opts[k]
		_, isFlag := flags[k]
		if isOpt != (kind == conffile.Value) || isFlag != (kind == conffile.Flag) {
			t.Errorf("key %q (kind %d): option field %v, flag field %v", k, kind, isOpt, isFlag)
		}
	}
}
