package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/cmd/internal/conffile"
	"github.com/redir-project/redir/internal/testenv"
)

// Errors at start caused by a value from a --config file name the file,
// the line and the key, as parse errors do, and exit 1; the same values
// from the command line keep their messages.

// startCase is a config file, the arguments after "--config FILE" (before
// them when pre), and the one stderr line redir exits 1 with, where CONF
// stands for the file's path.
type startCase struct {
	name      string
	conf      string
	pre, args []string
	want      string
}

// checkStartError runs redir (under prog, with progArgs before it, if
// prog is not "") with the case's file and checks its exit status and
// its one line.
func checkStartError(t *testing.T, tc startCase, prog string, progArgs ...string) {
	t.Helper()
	conf := writeConf(t, "start", tc.conf)
	args := slices.Concat(tc.pre, []string{"--config", conf}, tc.args)
	var p *redirProc
	if prog == "" {
		p = startRedir(t, args...)
	} else {
		p = startProc(t, prog, slices.Concat(progArgs, []string{redirBin}, args)...)
	}
	if code := p.exitCode(t, 10*time.Second); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	want := "redir: " + strings.ReplaceAll(tc.want, "CONF", conf) + "\n"
	if got := p.Stderr.String(); got != want {
		t.Errorf("stderr\n got %q\nwant %q", got, want)
	}
}

// busyAddr listens on a free port of host until the test ends and
// returns the address.
func busyAddr(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String()
}

// TestConfigFileStartErrors: a listen address in use (IPv4 and IPv6, in
// the foreground and the background) and a bind address the host does not
// have (IPv4 and IPv6, under its alias too) are named with their line.
func TestConfigFileStartErrors(t *testing.T) {
	busy4, busy6, target := busyAddr(t, "127.0.0.1"), busyAddr(t, "::1"), freeAddr(t, "127.0.0.1")
	inUse := ": bind: address already in use"
	notHere := ": address not usable on this host: bind: cannot assign requested address"
	absent4, absent6 := absentAddrs(t)
	for _, tc := range []startCase{
		{"listen", "listen = " + freeAddr(t, "127.0.0.1") + "\nlisten = " + busy4 + "\ntarget = " + target + "\n",
			[]string{"-n"}, nil, "CONF:2: listen: listen tcp4 " + busy4 + inUse},
		{"listen IPv6, background", "# in use\nlisten = " + busy6 + "\ntarget = " + target + "\n",
			[]string{"-l", "none"}, nil, "CONF:2: listen: listen tcp " + busy6 + inUse},
		{"bind", "listen = " + freeAddr(t, "127.0.0.1") + "\ntarget = " + target + "\nbind = " + absent4 + "\n",
			[]string{"-n"}, nil, "CONF:3: bind: -b " + absent4 + notHere},
		{"bind_addr IPv6", "listen = " + freeAddr(t, "::1") + "\n\nbind_addr = [" + absent6 + "]\ntarget = " + target + "\n",
			[]string{"-n"}, nil, "CONF:3: bind_addr: -b " + absent6 + notHere},
		// The same values from the command line: no file named.
		{"listen from the command line", "listen = " + busy4 + "\ntarget = " + target + "\n",
			[]string{"-n"}, []string{busy4, target}, "listen tcp4 " + busy4 + inUse},
		{"bind from the command line", "listen = " + freeAddr(t, "127.0.0.1") + "\ntarget = " + target + "\nbind = " + absent4 + "\n",
			[]string{"-n", "-b", absent4}, nil, "-b " + absent4 + notHere},
	} {
		t.Run(tc.name, func(t *testing.T) { checkStartError(t, tc, "") })
	}
}

// TestConfigFileStartActivated: under socket activation, as the unit runs
// it, a bind address the host does not have is named with its line.
func TestConfigFileStartActivated(t *testing.T) {
	addr := net.JoinHostPort("127.0.0.1", portFree(t, "127.0.0.1"))
	absent4, _ := absentAddrs(t)
	conf := writeConf(t, "act", "target = "+freeAddr(t, "127.0.0.1")+"\nbind = "+absent4+"\n")
	p := startActivated(t, []string{"-l", addr}, "-n", "--config", conf)
	testenv.WaitListening(t, addr)
	dialRetry(t, addr) // systemd-socket-activate starts redir on the first client
	if code := p.exitCode(t, 10*time.Second); code != 1 {
		t.Fatalf("exit status %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(p.Stderr.String()), "\n")
	want := "redir: " + conf + ":2: bind: -b " + absent4 + ": address not usable on this host: bind: cannot assign requested address"
	if last := lines[len(lines)-1]; last != want || strings.Count(p.Stderr.String(), "redir: ") != 1 {
		t.Errorf("stderr %q\nwant one redir line, the last: %q", p.Stderr.String(), want)
	}
}

// TestConfigFileStartTransproxy: transproxy without its capability is
// named with its line; -p from the command line is not.
func TestConfigFileStartTransproxy(t *testing.T) {
	testenv.RequireRoot(t)
	conf := "listen = " + freeAddr(t, "127.0.0.1") + "\ntarget = " + freeAddr(t, "127.0.0.1") + "\ntransproxy = yes\n"
	const why = "-p/--transproxy: IP_TRANSPARENT needs CAP_NET_ADMIN or CAP_NET_RAW, and this process has neither in its effective set"
	for _, tc := range []startCase{
		{"file", conf, []string{"-n"}, nil, "CONF:3: transproxy: " + why},
		{"command line", conf, []string{"-n", "-p"}, nil, why},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkStartError(t, tc, "setpriv", "--bounding-set=-all", "--inh-caps=-all")
		})
	}
}

// TestFileLinesLocate: a valueError is located when one of the lines gave
// its value, wrapped or not; any other error is left as it is.
func TestFileLinesLocate(t *testing.T) {
	listen := conffile.Entry{Key: "listen", Name: "listen", Value: "127.0.0.1:80", Line: 2,
		Listen: conffile.Listen{Addr: netip.MustParseAddr("127.0.0.1"), Port: 80}}
	bind := conffile.Entry{Key: "bind", Name: "bind_addr", Value: "::1", Line: 5}
	l := conffile.File{Path: "/etc/redir/x.conf", Entries: []conffile.Entry{listen, bind}}
	base := errors.New("refused")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&valueError{"listen", "127.0.0.1:80", base}, "/etc/redir/x.conf:2: listen: refused"},
		{fmt.Errorf("starting: %w", &valueError{"bind", "::1", base}), "/etc/redir/x.conf:5: bind_addr: starting: refused"},
		{&valueError{"listen", "127.0.0.1:81", base}, "refused"},
		{&valueError{"transproxy", "true", base}, "refused"},
		{base, "refused"},
	} {
		if got := locate(l, tc.err); got.Error() != tc.want || !errors.Is(got, base) {
			t.Errorf("locate(%v) = %v, want %s wrapping it", tc.err, got, tc.want)
		}
	}
}

// TestConfigFileTransproxyLine: a file's transproxy line is noted when it
// turns -p on, not when it is off or the command line gave -p.
func TestConfigFileTransproxyLine(t *testing.T) {
	listen := conffile.Entry{Key: "listen", Name: "listen", Value: "80", Line: 2, Listen: conffile.Listen{Port: 80}}
	on := conffile.Entry{Key: "transproxy", Name: "transproxy", Value: "true", Line: 1}
	for _, tc := range []struct {
		text string
		args []string
		want []conffile.Entry
	}{
		{"transproxy = yes\n", nil, []conffile.Entry{listen, on}},
		{"transproxy = yes\n", []string{"-p"}, []conffile.Entry{listen}},
		{"transproxy = no\n", nil, []conffile.Entry{listen}},
	} {
		p := writeConf(t, "tp", tc.text+"listen = 80\ntarget = :81\n")
		cfg, _, err := parseArgs(append(tc.args, "--config", p), &bytes.Buffer{})
		if err != nil || !reflect.DeepEqual(cfg.FileLines, conffile.File{Path: p, Entries: tc.want}) {
			t.Errorf("%q %q: lines %v, %v; want %v", tc.text, tc.args, cfg.FileLines, err, tc.want)
		}
	}
}
