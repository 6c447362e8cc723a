package outbound

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
)

// TestDialTransparentFTP: the FTP-shaped dial takes the source address
// and picks the port.
func TestDialTransparentFTP(t *testing.T) {
	serve, seen := peers()
	target := listen(t, "127.0.0.1:0", serve)
	c, err := DialTransparent(dialCtx(t), netip.MustParseAddr("127.0.0.11"), netip.MustParseAddrPort(target))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if got := <-seen; !strings.HasPrefix(got, "127.0.0.11:") {
		t.Errorf("target saw %s, want 127.0.0.11", got)
	}
}

// TestTransparentListen: a transparent listener may take an address that
// is not on the host, in both families, where a plain one may not.
func TestTransparentListen(t *testing.T) {
	for _, addr := range []string{"192.0.2.77:0", "[2001:db8::77]:0"} {
		if ln, err := net.Listen("tcp", addr); err == nil {
			ln.Close()
			t.Fatalf("a plain listener took %s: the host has it, the test proves nothing", addr)
		}
		ln, err := TransparentListenConfig().Listen(context.Background(), "tcp", addr)
		if err != nil {
			t.Errorf("transparent listener on %s: %v", addr, err)
			continue
		}
		ln.Close()
	}
}
