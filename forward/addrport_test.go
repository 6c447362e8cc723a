package forward_test

import (
	"net"
	"net/netip"
	"testing"

	"github.com/redir-project/redir/forward"
)

// TestAddrPort: a v4-mapped address comes out IPv4, an address of another
// type is read from its text, and no address or one without an IP is an
// error.
func TestAddrPort(t *testing.T) {
	mapped := net.TCPAddrFromAddrPort(netip.MustParseAddrPort("[::ffff:192.0.2.7]:80"))
	for _, tc := range []struct {
		in   net.Addr
		want string // "" for an error
	}{
		{mapped, "192.0.2.7:80"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 21}, "[2001:db8::1]:21"},
		{&net.UDPAddr{IP: net.ParseIP("::ffff:198.51.100.1"), Port: 53}, "198.51.100.1:53"},
		{nil, ""},
		{&net.UnixAddr{Name: "/run/x", Net: "unix"}, ""},
	} {
		got, err := forward.AddrPort(tc.in)
		if (err != nil) != (tc.want == "") || err == nil && got.String() != tc.want {
			t.Errorf("AddrPort(%v) = %v, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}
