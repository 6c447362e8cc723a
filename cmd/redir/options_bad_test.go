package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

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
		{[]string{"--max-connections=99999999999999999999", ":80", ":90"}, `--max-connections "99999999999999999999": want 0-9223372036854775807`},

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
		{[]string{"-x", "", ":80", ":90"}, `-x/--connect: invalid address ""`},
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
