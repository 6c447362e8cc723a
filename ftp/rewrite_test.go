package ftp

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

type rewriteCase struct {
	name     string
	mode     Mode
	legs     legs
	in       string
	out      string // passed on
	toClient string // the proxy's own replies
	plans    []dataPlan
}

var commandCases = []rewriteCase{
	{name: "PORT among others", mode: Both, legs: v4,
		in:  "USER anonymous\r\nPORT 192,0,2,10,4,1\r\nRETR x\r\n",
		out: "USER anonymous\r\nPORT 198,51,100,1,156,64\r\nRETR x\r\n",
		plans: []dataPlan{{listen: addr("198.51.100.1"), peer: addr("198.51.100.20"),
			dialFrom: addr("192.0.2.1"), dialTo: addrPort("192.0.2.10:1025")}}},
	{name: "bare LF and lower case", mode: Port, legs: v4,
		in: "port 192,0,2,10,4,1\nNOOP\n", out: "PORT 198,51,100,1,156,64\r\nNOOP\n",
		plans: []dataPlan{{listen: addr("198.51.100.1"), peer: addr("198.51.100.20"),
			dialFrom: addr("192.0.2.1"), dialTo: addrPort("192.0.2.10:1025")}}},
	{name: "EPRT to an IPv4 server becomes PORT", mode: Both, legs: v4,
		in: "EPRT |1|192.0.2.10|1025|\r\n", out: "PORT 198,51,100,1,156,64\r\n",
		plans: []dataPlan{{listen: addr("198.51.100.1"), peer: addr("198.51.100.20"),
			dialFrom: addr("192.0.2.1"), dialTo: addrPort("192.0.2.10:1025")}}},
	{name: "EPRT IPv6", mode: Port, legs: v6,
		in: "EPRT |2|2001:db8:1::10|1025|\r\n", out: "EPRT |2|2001:db8:2::1|40000|\r\n",
		plans: []dataPlan{{listen: addr("2001:db8:2::1"), peer: addr("2001:db8:2::20"),
			dialFrom: addr("2001:db8:1::1"), dialTo: addrPort("[2001:db8:1::10]:1025")}}},
	{name: "EPRT IPv6 client to an IPv4 server", mode: Port, legs: v6v4,
		in: "EPRT !2!2001:db8:1::10!1025!\r\n", out: "PORT 198,51,100,1,156,64\r\n",
		plans: []dataPlan{{listen: addr("198.51.100.1"), peer: addr("198.51.100.20"),
			dialFrom: addr("2001:db8:1::1"), dialTo: addrPort("[2001:db8:1::10]:1025")}}},
	{name: "PORT IPv4 client to an IPv6 server", mode: Port, legs: v4v6,
		in: "PORT 192,0,2,10,4,1\r\n", out: "EPRT |2|2001:db8:2::1|40000|\r\n",
		plans: []dataPlan{{listen: addr("2001:db8:2::1"), peer: addr("2001:db8:2::20"),
			dialFrom: addr("192.0.2.1"), dialTo: addrPort("192.0.2.10:1025")}}},
	{name: "EPRT from a link-local client", mode: Port,
		legs: legs{"[fe80::10%eth0]:5555", "fe80::1%eth0", "[2001:db8:2::20]:21", "2001:db8:2::1"},
		in:   "EPRT |2|fe80::10|1025|\r\n", out: "EPRT |2|2001:db8:2::1|40000|\r\n",
		plans: []dataPlan{{listen: addr("2001:db8:2::1"), peer: addr("2001:db8:2::20"),
			dialFrom: addr("fe80::1%eth0"), dialTo: addrPort("[fe80::10%eth0]:1025")}}},
	{name: "bounce PORT", mode: Both, legs: v4,
		in: "PORT 203,0,113,5,0,21\r\nNOOP\r\n", out: "NOOP\r\n", toClient: replyBounce + "\r\n"},
	{name: "bounce EPRT", mode: Port, legs: v6,
		in: "EPRT |2|2001:db8:2::20|21|\r\n", toClient: replyBounce + "\r\n"},
	{name: "bounce refused with pasv only", mode: Pasv, legs: v4,
		in: "PORT 198,51,100,20,0,21\r\nPORT 192,0,2,10,4,1\r\n", out: "PORT 192,0,2,10,4,1\r\n",
		toClient: replyBounce + "\r\n"},
	{name: "bounce spelt with a tab or no space", mode: Both, legs: v4,
		in: "PORT\t203,0,113,5,0,21\r\nPort203,0,113,5,0,21\n", toClient: strings.Repeat(replyBounce+"\r\n", 2)},
	{name: "port zero", mode: Port, legs: v4, in: "PORT 192,0,2,10,0,0\r\n", toClient: replyBounce + "\r\n"},
	{name: "malformed PORT", mode: Port, legs: v4,
		in: "PORT 192,0,2,10,4\r\nEPRT |3|x|1|\r\nPORT\r\n", toClient: strings.Repeat(replySyntax+"\r\n", 3)},
	{name: "PASV and EPSV to an IPv4 server", mode: Pasv, legs: v4,
		in: "PASV\r\nepsv\nEPSV 1\r\n", out: "PASV\r\nPASV\r\nPASV\r\n"},
	{name: "EPSV to an IPv6 server", mode: Both, legs: v6, in: "EPSV\r\nEPSV 2\r\n", out: "EPSV\r\nEPSV\r\n"},
	{name: "PASV from an IPv4 client to an IPv6 server", mode: Both, legs: v4v6, in: "PASV\r\n", out: "EPSV\r\n"},
	{name: "PASV from an IPv6 client", mode: Pasv, legs: v6, in: "PASV\r\n", toClient: replyPASVv6 + "\r\n"},
	{name: "EPSV ALL to an IPv4 server", mode: Pasv, legs: v4, in: "EPSV ALL\r\n", toClient: replyEPSVAll + "\r\n"},
	{name: "EPSV ALL to an IPv6 server", mode: Pasv, legs: v6, in: "EPSV all\r\n", out: "EPSV ALL\r\n"},
	{name: "EPSV other protocol", mode: Pasv, legs: v4, in: "EPSV 2\r\n",
		toClient: "522 Network protocol not supported, use (1).\r\n"},
	{name: "PASV untouched with port only", mode: Port, legs: v4, in: "pasv\r\nEPSV\n", out: "pasv\r\nEPSV\n"},
	{name: "unfinished last lines", mode: Both, legs: v4, in: "NOOP\r\nPORT 192,0,2,10,4,1", out: "NOOP\r\n"},
	{name: "unfinished passive last line", mode: Pasv, legs: v4, in: "NOOP\r\nEPSV", out: "NOOP\r\n"},
	{name: "unfinished PASV untouched with port only", mode: Port, legs: v4, in: "PASV", out: "PASV"},
	{name: "unfinished harmless last line", mode: Both, legs: v4, in: "QUIT\r", out: "QUIT\r"},
	{name: "other bytes unchanged", mode: Both, legs: v4,
		in: "\xff\xf4\xff\xf2ABOR\r\nSTOR a\rb\r\n\r\n\n", out: "\xff\xf4\xff\xf2ABOR\r\nSTOR a\rb\r\n\r\n\n"},
}

var replyCases = []rewriteCase{
	{name: "227 among others", mode: Pasv, legs: v4,
		in:  "220 hello\r\n227 Entering Passive Mode (198,51,100,20,200,10).\r\n226 done\r\n",
		out: "220 hello\r\n227 Entering Passive Mode (192,0,2,1,156,64).\r\n226 done\r\n",
		plans: []dataPlan{{listen: addr("192.0.2.1"), peer: addr("192.0.2.10"), passive: true,
			dialFrom: addr("198.51.100.1"), dialTo: addrPort("198.51.100.20:51210")}}},
	{name: "227 naming another address dials the server", mode: Both, legs: v4,
		in: "227 =10,9,9,9,0,80\n", out: "227 Entering Passive Mode (192,0,2,1,156,64).\r\n",
		plans: []dataPlan{{listen: addr("192.0.2.1"), peer: addr("192.0.2.10"), passive: true,
			dialFrom: addr("198.51.100.1"), dialTo: addrPort("198.51.100.20:80")}}},
	{name: "229", mode: Pasv, legs: v6,
		in: "229 Entering Extended Passive Mode (|||51210|)\r\n", out: "229 Entering Extended Passive Mode (|||40000|).\r\n",
		plans: []dataPlan{{listen: addr("2001:db8:1::1"), peer: addr("2001:db8:1::10"), passive: true,
			dialFrom: addr("2001:db8:2::1"), dialTo: addrPort("[2001:db8:2::20]:51210")}}},
	{name: "229 other delimiter", mode: Pasv, legs: v4,
		in: "229 ok (!!!21!)\n", out: "229 Entering Extended Passive Mode (|||40000|).\r\n",
		plans: []dataPlan{{listen: addr("192.0.2.1"), peer: addr("192.0.2.10"), passive: true,
			dialFrom: addr("198.51.100.1"), dialTo: addrPort("198.51.100.20:21")}}},
	{name: "227 to an IPv6 client becomes 229", mode: Pasv, legs: v6v4,
		in: "227 Entering Passive Mode (198,51,100,20,0,21)\r\n", out: "229 Entering Extended Passive Mode (|||40000|).\r\n",
		plans: []dataPlan{{listen: addr("2001:db8:1::1"), peer: addr("2001:db8:1::10"), passive: true,
			dialFrom: addr("198.51.100.1"), dialTo: addrPort("198.51.100.20:21")}}},
	{name: "malformed", mode: Pasv, legs: v4, in: "227 no numbers\r\n229 (|||x|)\r\n229 (|||0|)\r\n227 (1,2,3,4,5)\n",
		out: strings.Repeat(replyNoData+"\r\n", 4)},
	{name: "multi-line and others untouched", mode: Pasv, legs: v4,
		in:  "227-first\r\n 227 (1,2,3,4,5,6)\r\n227-x\r\n230 Login\n2277 x\r\n",
		out: "227-first\r\n 227 (1,2,3,4,5,6)\r\n227-x\r\n230 Login\n2277 x\r\n"},
}

func addr(s string) netip.Addr         { return netip.MustParseAddr(s) }
func addrPort(s string) netip.AddrPort { return netip.MustParseAddrPort(s) }

func TestCommands(t *testing.T) { runCases(t, commandCases, (*session).command) }

func TestReplies(t *testing.T) { runCases(t, replyCases, (*session).reply) }

func runCases(t *testing.T, cases []rewriteCase, fn func(*session, []byte) ([]byte, error)) {
	for _, tt := range cases {
		for _, fd := range feeds {
			for i, r := range fd.make(tt.in) {
				s, toClient, plans := stubSession(tt.mode, tt.legs)
				out, err := runLines(t, r, func(l []byte) ([]byte, error) { return fn(s, l) })
				if err != nil || out != tt.out || toClient.String() != tt.toClient || !samePlans(*plans, tt.plans) {
					t.Errorf("%s, %s #%d:\n got %q, %v, to client %q, plans %+v\nwant %q, to client %q, plans %+v",
						tt.name, fd.name, i, out, err, toClient, *plans, tt.out, tt.toClient, tt.plans)
				}
			}
		}
	}
}

func samePlans(a, b []dataPlan) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestPassiveFormFollowsClient: the reply a client gets is the one its
// command asks for, whatever the server answered.
func TestPassiveFormFollowsClient(t *testing.T) {
	s, _, _ := stubSession(Pasv, v4)
	steps := []struct{ cmd, reply, want string }{
		{"EPSV\r\n", "227 Entering Passive Mode (198,51,100,20,0,21)\r\n", "229 Entering Extended Passive Mode (|||40000|).\r\n"},
		{"PASV\r\n", "229 (|||21|)\r\n", "227 Entering Passive Mode (192,0,2,1,156,65).\r\n"},
	}
	for _, st := range steps {
		if _, err := s.command([]byte(st.cmd)); err != nil {
			t.Fatal(err)
		}
		got, err := s.reply([]byte(st.reply))
		if err != nil || string(got) != st.want {
			t.Errorf("%q then %q: got %q, %v; want %q", st.cmd, st.reply, got, err, st.want)
		}
	}
}

func TestLineTooLong(t *testing.T) {
	for _, in := range []string{
		"NOOP\r\n" + strings.Repeat("x", MaxLineLength) + "\n",
		"NOOP\r\n" + strings.Repeat("x", MaxLineLength+100),
	} {
		for _, fd := range []feed{feeds[0], feeds[2]} {
			s, _, _ := stubSession(Both, v4)
			out, err := runLines(t, fd.make(in)[0], s.command)
			if !errors.Is(err, ErrLineTooLong) || out != "NOOP\r\n" {
				t.Errorf("%d bytes, %s: got %q, %v; want NOOP and ErrLineTooLong", len(in), fd.name, out, err)
			}
		}
	}
	s, _, _ := stubSession(Both, v4)
	ok := strings.Repeat("x", MaxLineLength-2) + "\r\n"
	if out, err := runLines(t, strings.NewReader(ok), s.command); err != nil || out != ok {
		t.Errorf("a line of exactly MaxLineLength: %v", err)
	}
}
