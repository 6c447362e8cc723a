package ftp

import (
	"fmt"
	"net/netip"
)

// reply rewrites one line from the server (lineFunc): with Pasv, a 227 or
// 229 reply becomes one naming a data listener of the redirector.
func (s *session) reply(line []byte) ([]byte, error) {
	code, text := splitReply(line)
	if code != "227" && code != "229" {
		return line, nil
	}
	want := wantReply(s.want.Swap(0))
	if want == 0 { // a reply to no PASV or EPSV we saw: keep its form if we can
		want = want229
		if code == "227" && s.front.Is4() {
			want = want227
		}
	}
	parse := parse227
	if code == "229" {
		parse = parse229
	}
	port, err := parse(text)
	if err != nil {
		end := s.refuse("ftp: malformed passive reply", "reply", code, "error", err)
		return []byte(replyNoData + "\r\n"), end
	}
	// The server's data port, on the address the redirector reaches it
	// at: the address in a 227 reply is not dialled (curl does the same).
	plan := dataPlan{
		listen: s.front, peer: s.client.Addr(), passive: true,
		dialFrom: s.back, dialTo: netip.AddrPortFrom(s.server.Addr(), port),
	}
	ours, err := s.open(plan)
	if err != nil {
		s.log.Error("ftp: data listener failed", "reply", code, "error", err)
		return []byte(replyNoData + "\r\n"), nil
	}
	if want == want227 {
		return fmt.Appendf(nil, "227 Entering Passive Mode (%s).\r\n", formatHostPort(ours)), nil
	}
	return fmt.Appendf(nil, "229 Entering Extended Passive Mode (|||%d|).\r\n", ours.Port()), nil
}
