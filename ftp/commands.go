package ftp

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// The proxy's own replies to commands it does not pass on.
const (
	replyBounce    = "500 Illegal PORT command: only the client's own address is allowed."
	replySyntax    = "501 Syntax error in PORT or EPRT address."
	replyNoData    = "425 Can't open data connection."
	replyPASVv6    = "425 Use EPSV: PASV cannot name this connection's IPv6 address."
	replyEPSVAll   = "200 EPSV ALL ok."
	replyEPSVProto = "522 Network protocol not supported, use (%s)."
	replyRefused   = "421 Too many refused PORT or EPRT commands, closing control connection."
)

// command rewrites one line from the client (lineFunc).
func (s *session) command(line []byte) ([]byte, error) {
	verb, arg := splitCommand(line)
	active := verb == "PORT" || verb == "EPRT"
	passive := (verb == "PASV" || verb == "EPSV") && s.cfg.Mode&Pasv != 0
	switch {
	case !active && !passive:
		return line, nil
	case line[len(line)-1] != '\n':
		s.log.Warn("ftp: unfinished last line dropped", "command", verb)
		return nil, nil
	case active:
		return s.activeCommand(verb, arg, line)
	}
	return s.passiveCommand(verb, arg)
}

// activeCommand checks a PORT or EPRT against bounce, whatever the mode,
// and with Port opens a data listener towards the server and names it.
func (s *session) activeCommand(verb, arg string, line []byte) ([]byte, error) {
	parse := parseHostPort
	if verb == "EPRT" {
		parse = parseEPRT
	}
	ap, err := parse(arg)
	if err != nil {
		end := s.refuse("ftp: malformed command refused", "command", verb, "error", err)
		return s.answerRefused(replySyntax, end)
	}
	// EPRT carries no zone: a link-local client's address is compared without it.
	if ap.Addr().Unmap() != s.client.Addr().WithZone("") || ap.Port() == 0 {
		end := s.refuse("ftp: bounce refused: data address is not the client's",
			"command", verb, "address", ap.String(), "client", s.client.String())
		return s.answerRefused(replyBounce, end)
	}
	if s.cfg.Mode&Port == 0 {
		return line, nil
	}
	plan := dataPlan{
		listen: s.back, peer: s.server.Addr(),
		dialFrom: s.front, dialTo: netip.AddrPortFrom(s.client.Addr(), ap.Port()),
	}
	ours, err := s.open(plan)
	if err != nil {
		s.log.Error("ftp: data listener failed", "command", verb, "error", err)
		return s.answer(replyNoData)
	}
	if s.back.Is4() {
		return []byte("PORT " + formatHostPort(ours) + "\r\n"), nil
	}
	return []byte("EPRT " + formatEPRT(ours) + "\r\n"), nil
}

// passiveCommand notes which reply the client wants and asks the server
// in the form its own address family allows: PASV over IPv4, EPSV over
// IPv6, so either client works with either server.
func (s *session) passiveCommand(verb, arg string) ([]byte, error) {
	want := want227
	if verb == "EPSV" {
		want = want229
		switch {
		case arg == "":
		case strings.EqualFold(arg, "ALL"):
			if s.back.Is4() {
				return s.answer(replyEPSVAll) // we send the server PASV
			}
			return []byte("EPSV ALL\r\n"), nil
		case arg == family(s.front):
		default:
			return s.answer(fmt.Sprintf(replyEPSVProto, family(s.front)))
		}
	} else if !s.front.Is4() {
		return s.answer(replyPASVv6)
	}
	s.want.Store(uint32(want))
	if s.back.Is4() {
		return []byte("PASV\r\n"), nil
	}
	return []byte("EPSV\r\n"), nil
}

// answerRefused answers a refused command with reply and, when end is
// set (the session's last refusal), with a 421 and end, which closes the
// control connection.
func (s *session) answerRefused(reply string, end error) ([]byte, error) {
	_, err := s.answer(reply)
	if end == nil || err != nil {
		return nil, err
	}
	_, err = s.answer(replyRefused)
	return nil, errors.Join(end, err)
}
