package main

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// transparentRules are the nftables rules a host running redir -p needs
// (redir(1) gives the same): a TCP packet for a transparent socket gets
// mark 1, and policy routing delivers marked packets locally.
const transparentRules = `table ip t {
	chain p {
		type filter hook prerouting priority mangle;
		meta l4proto tcp socket transparent 1 meta mark set 0x1 accept
	}
}
table ip6 t {
	chain p {
		type filter hook prerouting priority mangle;
		meta l4proto tcp socket transparent 1 meta mark set 0x1 accept
	}
}
`

// transparentNet builds client — router — server namespaces joined by
// veth pairs: the client is 198.51.100.2 and 2001:db8:1::2, the router
// (where redir runs) .1 on both sides, the server 203.0.113.2 and
// 2001:db8:2::2. The router does not forward; the server's replies to the
// client's address reach redir only through the policy routing and the
// nftables mark.
func transparentNet(t *testing.T) (client, router, server string) {
	client, router, server = newNetns(t), newNetns(t), newNetns(t)
	mustRun(t, "ip", "link", "add", "c0", "netns", client, "type", "veth", "peer", "name", "r0", "netns", router)
	mustRun(t, "ip", "link", "add", "s0", "netns", server, "type", "veth", "peer", "name", "r1", "netns", router)
	for _, a := range []struct{ ns, dev, v4, v6 string }{
		{client, "c0", "198.51.100.2/24", "2001:db8:1::2/64"},
		{router, "r0", "198.51.100.1/24", "2001:db8:1::1/64"},
		{router, "r1", "203.0.113.1/24", "2001:db8:2::1/64"},
		{server, "s0", "203.0.113.2/24", "2001:db8:2::2/64"},
	} {
		mustRun(t, "ip", "-n", a.ns, "addr", "add", a.v4, "dev", a.dev)
		mustRun(t, "ip", "-n", a.ns, "-6", "addr", "add", a.v6, "dev", a.dev, "nodad")
		mustRun(t, "ip", "-n", a.ns, "link", "set", a.dev, "up")
	}
	for _, r := range []struct{ ns, v4, v6 string }{
		{client, "198.51.100.1", "2001:db8:1::1"},
		{server, "203.0.113.1", "2001:db8:2::1"},
	} {
		mustRun(t, "ip", "-n", r.ns, "route", "add", "default", "via", r.v4)
		mustRun(t, "ip", "-n", r.ns, "-6", "route", "add", "default", "via", r.v6)
	}
	mustRun(t, "ip", "-n", router, "rule", "add", "fwmark", "1", "lookup", "100")
	mustRun(t, "ip", "-n", router, "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", "100")
	mustRun(t, "ip", "-n", router, "-6", "rule", "add", "fwmark", "1", "lookup", "100")
	mustRun(t, "ip", "-n", router, "-6", "route", "add", "local", "::/0", "dev", "lo", "table", "100")
	rules := filepath.Join(t.TempDir(), "transparent.nft")
	if err := os.WriteFile(rules, []byte(transparentRules), 0o644); err != nil {
		t.Fatal(err)
	}
	nsRun(t, router, "nft", "-f", rules)
	return client, router, server
}

// TestTransparent runs redir -p on the router: the server sees the
// client's own address, in both families, with either capability alone.
func TestTransparent(t *testing.T) {
	client, router, server := transparentNet(t)
	for _, tc := range []struct {
		name, caps, listen, target, client string
	}{
		{"IPv4 with CAP_NET_ADMIN only", "-all,+net_admin", "198.51.100.1:8000", "203.0.113.2:9000", "198.51.100.2"},
		{"IPv6 with CAP_NET_RAW only", "-all,+net_raw", "[2001:db8:1::1]:8000", "[2001:db8:2::2]:9000", "2001:db8:1::2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := make(chan string, 1)
			nsListen(t, server, tc.target, func(c net.Conn) {
				host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
				seen <- host
				echo(c)
			})
			p := nsStart(t, router, "setpriv", "--bounding-set="+tc.caps, "--inh-caps=-all",
				redirBin, "-n", "-l", "info", "-p", tc.listen, tc.target)
			p.waitLog(t, "listening on")
			c := nsDial(t, client, "", tc.listen)
			roundTrip(t, c, "who am I to the server?")
			select {
			case got := <-seen:
				if got != tc.client {
					t.Errorf("the server saw %s, want the client's %s", got, tc.client)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the server saw no connection")
			}
			c.Close()
			p.waitLog(t, "client="+net.JoinHostPort(tc.client, ""))
			p.stopOK(t)
		})
	}
}

// TestTransparentNoCapability: without CAP_NET_ADMIN and CAP_NET_RAW, -p
// is refused at start, before anything is bound, with both named; in the
// foreground and the background alike.
func TestTransparentNoCapability(t *testing.T) {
	testenv.RequireRoot(t)
	checkTransparentRefused(t, "setpriv", []string{"--bounding-set=-all", "--inh-caps=-all"},
		"-p/--transproxy: IP_TRANSPARENT needs CAP_NET_ADMIN or CAP_NET_RAW")
}

// TestTransparentUserNamespace: in a user namespace of its own (unshare
// -U -r, as PrivateUsers=yes does) redir has every capability, but not in
// the namespace that owns the network: -p is refused at start, in the
// foreground and the background alike, where it used to start and fail
// every connection. With a network namespace of that user namespace's own
// (unshare -U -r -n) the same -p starts.
func TestTransparentUserNamespace(t *testing.T) {
	testenv.RequireRoot(t)
	checkTransparentRefused(t, "unshare", []string{"--user", "--map-root-user"},
		"-p/--transproxy: setsockopt IP_TRANSPARENT: operation not permitted; "+
			"transparent mode needs CAP_NET_RAW or CAP_NET_ADMIN in the host's user namespace (in a unit: PrivateUsers=no)")
	t.Run("own network namespace", func(t *testing.T) {
		p := startProc(t, "unshare", "--user", "--map-root-user", "--net", "sh", "-c",
			`ip link set lo up && exec "$0" -n -l info -p 127.0.0.1:8000 127.0.0.1:9000`, redirBin)
		p.waitLog(t, "listening on 127.0.0.1:8000")
		p.stopOK(t)
	})
}

// checkTransparentRefused runs redir -p under prog with args before the
// binary, in the foreground and the background: each exits 1 with the one
// line want.
func checkTransparentRefused(t *testing.T, prog string, args []string, want string) {
	target := freeAddr(t, "127.0.0.1")
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"foreground", []string{"-n", "-p", freeAddr(t, "127.0.0.1"), target}},
		{"background", []string{"-p", freeAddr(t, "127.0.0.1"), target}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startProc(t, prog, append(append(slices.Clone(args), redirBin), tc.args...)...)
			if code := p.exitCode(t, 10*time.Second); code != 1 {
				t.Fatalf("exit status %d, want 1", code)
			}
			checkOneLineError(t, p.Stderr.String(), want)
		})
	}
}
