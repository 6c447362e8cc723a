package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// inherited is the part of a config that -i and socket activation set.
type inherited struct {
	Inetd, Activated, Syslog bool
	Target                   string
	ExitIdleTime             time.Duration
}

// TestParseInherited: with -i or under socket activation the one
// positional argument is the target; nothing forks.
func TestParseInherited(t *testing.T) {
	tests := []struct {
		args      []string
		activated bool
		want      inherited
	}{
		{[]string{"-i", ":8080"}, false, inherited{Inetd: true, Target: "localhost:8080"}},
		{[]string{":8080"}, true, inherited{Activated: true, Target: "localhost:8080"}},
		{[]string{"[::1]:http"}, true, inherited{Activated: true, Target: "[::1]:80"}},
		{[]string{"--cport=90", "--caddr=10.0.0.1"}, true, inherited{Activated: true, Target: "10.0.0.1:90"}},
		{[]string{"-i", ":90"}, true, inherited{Inetd: true, Activated: true, Target: "localhost:90"}},
		{[]string{"--exit-idle-time=1.5", "-s", ":90"}, true,
			inherited{Activated: true, Syslog: true, Target: "localhost:90", ExitIdleTime: 1500 * time.Millisecond}},
		{[]string{"-i", "--exit-idle-time", "30", ":90"}, false,
			inherited{Inetd: true, Target: "localhost:90", ExitIdleTime: 30 * time.Second}},
	}
	for _, tt := range tests {
		cfg, done, err := parseCommandLine(tt.args, &bytes.Buffer{}, tt.activated)
		if err != nil || done {
			t.Errorf("%q (activated %v): done %v, error %v", tt.args, tt.activated, done, err)
			continue
		}
		got := inherited{Inetd: cfg.Inetd, Activated: cfg.Activated, Syslog: cfg.Syslog, Target: cfg.Target,
			ExitIdleTime: cfg.ExitIdleTime}
		if got != tt.want || !cfg.Foreground || cfg.Listen != nil {
			t.Errorf("%q (activated %v): %+v, want %+v in the foreground, no Listen", tt.args, tt.activated, cfg, tt.want)
		}
	}
}

// TestParseInheritedBad: a SRC where the socket is inherited, and
// --exit-idle-time where redir binds its own port, are usage errors that
// say why.
func TestParseInheritedBad(t *testing.T) {
	tests := []struct {
		args      []string
		activated bool
		want      string
	}{
		{[]string{":80", ":90"}, true, `too many arguments: want only [DST]:PORT under socket activation: SRC comes from the sockets systemd passes; got ":80" and ":90"`},
		{[]string{}, true, "missing argument: want [DST]:PORT under socket activation"},
		{[]string{"-i"}, false, "missing argument: want [DST]:PORT with -i: SRC is the socket on stdin"},
		{[]string{"-i", ":80", ":90"}, false, "too many arguments: want only [DST]:PORT with -i"},
		{[]string{"--lport=80", "--cport=90"}, true, "--laddr and --lport do not apply under socket activation"},
		{[]string{"--exit-idle-time=5", ":80", ":90"}, false, "--exit-idle-time applies only under socket activation or -i"},
		{[]string{"--exit-idle-time=0", ":90"}, true, `invalid --exit-idle-time "0": must be more than 0`},
		{[]string{"--exit-idle-time=-1", ":90"}, true, `--exit-idle-time "-1"`},
		{[]string{"--exit-idle-time"}, true, "--exit-idle-time"},
	}
	for _, tt := range tests {
		_, _, err := parseCommandLine(tt.args, &bytes.Buffer{}, tt.activated)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q (activated %v): error %v, want one containing %q", tt.args, tt.activated, err, tt.want)
		}
	}
}

func TestHelpInherited(t *testing.T) {
	var out bytes.Buffer
	if _, _, err := parseArgs([]string{"-h"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"redir -i [OPTIONS] [DST]:PORT", "--exit-idle-time=SEC", "LISTEN_FDS", "never to stdout"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("-h does not mention %q", want)
		}
	}
	if strings.Contains(out.String(), "-f, -i,") {
		t.Errorf("-h still lists -i as not supported")
	}
}
