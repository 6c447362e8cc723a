package conffile

import (
	"strings"
	"testing"
)

// TestParseListenRepeat: a listen line that says again what one before
// says, or takes an address one before takes on the same port, is refused
// with both lines named; lines that can all be bound pass.
func TestParseListenRepeat(t *testing.T) {
	const bound = "; only one of them could be bound"
	const port, any4, any6 = "a port alone means every IPv4 and IPv6 address",
		"0.0.0.0 means every IPv4 address",
		"[::] means every IPv6 address and, dual-stack, every IPv4 one"
	tests := []struct{ text, want string }{
		{"listen = 80\nlisten = 80\n", `b.conf:2: listen: 80 given twice (first on line 1)`},
		{"listen = 80\nlisten = 0080\n", `b.conf:2: listen: 80 given twice (first on line 1)`},
		{"listen = [::1]:80\ntarget = :1\nlisten = [0:0::1]:80\n", `b.conf:3: listen: [::1]:80 given twice (first on line 1)`},
		{"listen = 80\nlisten = 0.0.0.0:80\n", `b.conf:2: listen: 0.0.0.0:80 overlaps line 1 (80): ` + port + bound},
		{"listen = 80\nlisten = 81\nlisten = [::1]:80\n", `b.conf:3: listen: [::1]:80 overlaps line 1 (80): ` + port + bound},
		{"listen = [::]:80\nlisten = 80\n", `b.conf:2: listen: 80 overlaps line 1 ([::]:80): ` + port + bound},
		{"listen = 0.0.0.0:80\nlisten = 127.0.0.1:80\n", `b.conf:2: listen: 127.0.0.1:80 overlaps line 1 (0.0.0.0:80): ` + any4 + bound},
		{"listen = 127.0.0.1:80\nlisten = 0.0.0.0:80\n", `b.conf:2: listen: 0.0.0.0:80 overlaps line 1 (127.0.0.1:80): ` + any4 + bound},
		{"listen = [::]:80\nlisten = [::1]:80\n", `b.conf:2: listen: [::1]:80 overlaps line 1 ([::]:80): ` + any6 + bound},
		{"listen = 192.0.2.1:80\nlisten = [::]:80\n", `b.conf:2: listen: [::]:80 overlaps line 1 (192.0.2.1:80): ` + any6 + bound},
		{"listen = [::]:80\nlisten = 0.0.0.0:80\n", `b.conf:2: listen: 0.0.0.0:80 overlaps line 1 ([::]:80): ` + any6 + bound},
		{"listen = [fe80::1%eth0]:80\nlisten = [::]:80\n", `b.conf:2: listen: [::]:80 overlaps line 1 ([fe80::1%eth0]:80): ` + any6 + bound},
	}
	for _, tt := range tests {
		f, err := Parse(strings.NewReader(tt.text), "b.conf")
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) = %+v, %v\nwant error %s", tt.text, f, err, tt.want)
		}
	}
	for _, text := range []string{
		"listen = 80\nlisten = 81\nlisten = 127.0.0.1:82\nlisten = [::]:83\n",
		"listen = 127.0.0.1:80\nlisten = [::1]:80\nlisten = 127.0.0.2:80\nlisten = [2001:db8::1]:80\n",
		"listen = 0.0.0.0:80\nlisten = [::1]:80\n",
		"listen = 0.0.0.0:80\nlisten = 0.0.0.0:81\n",
		"listen = [fe80::1%eth0]:80\nlisten = [fe80::1%eth1]:80\n",
	} {
		if f, err := Parse(strings.NewReader(text), "g.conf"); err != nil || len(f.Entries) != strings.Count(text, "\n") {
			t.Errorf("Parse(%q) = %v, %v; want every line", text, f, err)
		}
	}
}
