package conffile

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestParseGood(t *testing.T) {
	const text = "# web front\n" +
		"\n" +
		"listen = 80\n" +
		"  listen=[::1]:8080  \r\n" +
		"listen =\t127.0.0.1:08080\n" +
		"target = backend.example:http\n" +
		"\t# indented comment\n" +
		"foreground = yes\n" +
		"syslog = 0\n" +
		"transproxy = on\n" +
		"name = web\n" +
		"max_bandwidth = 1000\n" +
		"connect-timeout = 1.5\n"
	f, err := Parse(strings.NewReader(text), "web.conf")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"listen", "listen", "80", 3, Listen{Port: 80}},
		{"listen", "listen", "[::1]:8080", 4, Listen{netip.IPv6Loopback(), 8080}},
		{"listen", "listen", "127.0.0.1:8080", 5, Listen{netip.MustParseAddr("127.0.0.1"), 8080}},
		{"target", "target", "backend.example:http", 6, Listen{}},
		{"foreground", "foreground", "true", 8, Listen{}},
		{"syslog", "syslog", "false", 9, Listen{}},
		{"transproxy", "transproxy", "true", 10, Listen{}},
		{"ident", "name", "web", 11, Listen{}},
		{"max-bandwidth", "max_bandwidth", "1000", 12, Listen{}},
		{"connect-timeout", "connect-timeout", "1.5", 13, Listen{}},
	}
	if !reflect.DeepEqual(f.Entries, want) {
		t.Errorf("entries\n got %v\nwant %v", f.Entries, want)
	}
	if e, ok := f.Get("target"); !ok || e.Line != 6 {
		t.Errorf("Get(target) = %v, %v", e, ok)
	}
	if _, ok := f.Get("bind"); ok {
		t.Error("Get(bind) found an entry the file does not have")
	}
	checkListen(t, f)
}

// checkListen checks the listen lines of TestParseGood's file.
func checkListen(t *testing.T, f *File) {
	t.Helper()
	var got []string
	for _, e := range f.Entries {
		if e.Key == "listen" {
			got = append(got, e.Listen.String()+" "+e.Listen.Net())
		}
	}
	if w := []string{"80 :80", "[::1]:8080 [::1]:8080", "127.0.0.1:8080 127.0.0.1:8080"}; !reflect.DeepEqual(got, w) {
		t.Errorf("listen lines = %q, want %q", got, w)
	}
}

// TestParseOneByte reads a file one byte at a time: the scanner must not
// depend on how the reads fall.
func TestParseOneByte(t *testing.T) {
	text := "listen = 80\n# c\ntarget = :81\nident = x\n"
	f, err := Parse(iotest.OneByteReader(strings.NewReader(text)), "x.conf")
	if err != nil || len(f.Entries) != 3 || f.Entries[2].Value != "x" {
		t.Fatalf("Parse = %+v, %v", f, err)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# only a comment\n", "   \n\t\n"} {
		f, err := Parse(strings.NewReader(text), "e.conf")
		if err != nil || len(f.Entries) != 0 {
			t.Errorf("Parse(%q) = %+v, %v; want no entries", text, f, err)
		}
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct{ text, want string }{
		{"listen = 80\nmaxbw = 1\n", `b.conf:2: unknown key "maxbw"`},
		{"connect_timeout = 1\n", `b.conf:1: unknown key "connect_timeout" (did you mean "connect-timeout"?)`},
		{"Timeout = 1\n", `b.conf:1: unknown key "Timeout" (did you mean "timeout"?)`},
		{"help = yes\n", `b.conf:1: key "help" is not allowed in a file: it is a command-line option only`},
		{"inetd = yes\n", `b.conf:1: key "inetd" is not allowed in a file: give -i on the command line inetd runs`},
		{"config = /etc/x\n", `b.conf:1: key "config" is not allowed in a file: a file cannot name another one`},
		{"lport = 80\n", `b.conf:1: key "lport" is not allowed in a file: use listen = PORT`},
		{"cport = 80\n", `b.conf:1: key "cport" is not allowed in a file: use target = [DST]:PORT`},
		{"\n\nlisten 80\n", `b.conf:3: want key = value, got "listen 80"`},
		{"= 80\n", `b.conf:1: missing key before '=' in "= 80"`},
		{"foreground = maybe\n", `b.conf:1: foreground: invalid boolean "maybe": want true, yes, on, 1, false, no, off or 0`},
		{"syslog =\n", `b.conf:1: syslog: invalid boolean "": want true, yes, on, 1, false, no, off or 0`},
		{"timeout = 30 # seconds\n", `b.conf:1: timeout: '#' in the value "30 # seconds": a comment goes on a line of its own`},
		{"ident = \"web\"\n", `b.conf:1: ident: quoted value "web": values are written without quotes`},
		{"timeout = 1\ntimeout = 2\n", `b.conf:2: timeout: given twice (first on line 1)`},
		{"name = a\nident = b\n", `b.conf:2: ident: given twice (first on line 1)`},
		{"target = :80\ntarget = :81\n", `b.conf:2: target: given twice (first on line 1)`},
		{"listen = localhost:8080\n", `b.conf:1: listen: invalid listen address "localhost:8080": want PORT, IPv4:PORT or [IPv6]:PORT, numeric as systemd's ListenStream= takes them`},
		{"listen = :80\n", `b.conf:1: listen: invalid listen address ":80": want PORT, IPv4:PORT or [IPv6]:PORT, numeric as systemd's ListenStream= takes them (for every address write the port alone)`},
		{"listen = ::1:80\n", `b.conf:1: listen: invalid listen address "::1:80": want PORT, IPv4:PORT or [IPv6]:PORT, numeric as systemd's ListenStream= takes them (put an IPv6 address in brackets)`},
		{"listen = 0\n", `b.conf:1: listen: invalid listen port "0" in "0": must be 1-65535`},
		{"listen = 127.0.0.1:65536\n", `b.conf:1: listen: invalid listen port "65536" in "127.0.0.1:65536": must be 1-65535`},
		{"listen = 127.0.0.1:http\n", `b.conf:1: listen: invalid listen address "127.0.0.1:http": want PORT, IPv4:PORT or [IPv6]:PORT, numeric as systemd's ListenStream= takes them`},
		{"listen = [::ffff:127.0.0.1]:80\n", `b.conf:1: listen: invalid listen address "[::ffff:127.0.0.1]:80": an IPv4-mapped IPv6 address; write the IPv4 address`},
		{"listen =\n", `b.conf:1: listen: invalid listen address "": want PORT, IPv4:PORT or [IPv6]:PORT, numeric as systemd's ListenStream= takes them`},
		{"listen = 80\n" + strings.Repeat("x", maxLine+1) + "\n", `b.conf:2: line longer than 65536 bytes`},
	}
	for _, tt := range tests {
		f, err := Parse(strings.NewReader(tt.text), "b.conf")
		var fe *Error
		if err == nil || err.Error() != tt.want || !errors.As(err, &fe) {
			t.Errorf("Parse(%.40q) = %+v, %v\nwant error %s", tt.text, f, err, tt.want)
		}
	}
}

func TestParseListenForms(t *testing.T) {
	tests := []struct{ in, canon, net string }{
		{"80", "80", ":80"},
		{"0080", "80", ":80"},
		{"65535", "65535", ":65535"},
		{"0.0.0.0:8080", "0.0.0.0:8080", "0.0.0.0:8080"},
		{"[::]:8080", "[::]:8080", "[::]:8080"},
		{"[::1]:8080", "[::1]:8080", "[::1]:8080"},
		{"[2001:DB8::1]:1", "[2001:db8::1]:1", "[2001:db8::1]:1"},
		{"[fe80::1%lo]:80", "[fe80::1%lo]:80", "[fe80::1%lo]:80"},
	}
	for _, tt := range tests {
		l, err := ParseListen(tt.in)
		if err != nil || l.String() != tt.canon || l.Net() != tt.net {
			t.Errorf("ParseListen(%q) = %q %q, %v; want %q %q", tt.in, l.String(), l.Net(), err, tt.canon, tt.net)
		}
	}
}

func TestLoad(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.conf")
	if err := os.WriteFile(p, []byte("listen = 80\nbogus = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || err.Error() != p+`:2: unknown key "bogus"` {
		t.Errorf("Load = %v", err)
	}
	_, err := Load(filepath.Join(t.TempDir(), "none.conf"))
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "none.conf") {
		t.Errorf("Load(missing) = %v, want a not-exist error naming the file", err)
	}
}

func TestErrWraps(t *testing.T) {
	f := &File{Path: "/etc/redir/a.conf"}
	base := errors.New(`unknown log level "loud"`)
	err := f.Err(Entry{Key: "loglevel", Name: "loglevel", Value: "loud", Line: 7}, base)
	if err.Error() != `/etc/redir/a.conf:7: loglevel: unknown log level "loud"` || !errors.Is(err, base) {
		t.Errorf("Err = %v", err)
	}
}

func TestKeysRefusedDisjoint(t *testing.T) {
	for k := range Keys() {
		if Refused(k) {
			t.Errorf("key %q is both allowed and refused", k)
		}
	}
	for alias, canon := range aliases {
		if _, ok := keys[canon]; !ok {
			t.Errorf("alias %q names %q, which is no key", alias, canon)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"listen = 80\ntarget = :81\n", "# c\n\nforeground=yes\n", "listen = [fe80::1%lo]:1\n",
		"x", "=", "listen = 1.2.3.4:5\nlisten = 5\n", "timeout = 1 # c\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		file, err := Parse(strings.NewReader(s), "f.conf")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.conf:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q is not one line starting with f.conf:", err)
			}
			return
		}
		for _, e := range file.Entries {
			if e.Key != "listen" {
				continue
			}
			if again, err := ParseListen(e.Value); err != nil || again != e.Listen {
				t.Fatalf("listen %v does not round-trip: %v %v", e.Listen, again, err)
			}
		}
	})
}
