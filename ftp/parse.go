package ftp

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// errSyntax is a PORT, EPRT, 227 or 229 argument that does not parse.
var errSyntax = errors.New("ftp: malformed address")

// trimEnd removes a line's "\n" or "\r\n".
func trimEnd(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// splitCommand cuts a command line into its verb, the leading letters
// upper-cased, and its argument, after one space or tab. A verb is cut
// wherever its letters end, so that no spelling a server might take for
// PORT ("PORT\t…", "PORT1,…") slips past as another command.
func splitCommand(line []byte) (verb, arg string) {
	line = trimEnd(line)
	i := 0
	for i < len(line) && (line[i]|0x20 >= 'a' && line[i]|0x20 <= 'z') {
		i++
	}
	verb, rest := strings.ToUpper(string(line[:i])), line[i:]
	if len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	return verb, string(rest)
}

// splitReply cuts a reply line into its first word (the code, for a last
// or only line) and the text after the space.
func splitReply(line []byte) (code, text string) {
	c, t, _ := bytes.Cut(trimEnd(line), []byte(" "))
	return string(c), string(t)
}

// parseHostPort reads RFC 959's "h1,h2,h3,h4,p1,p2" from the start of s,
// surrounding spaces allowed.
func parseHostPort(s string) (netip.AddrPort, error) {
	f := strings.Split(strings.TrimSpace(s), ",")
	if len(f) != 6 {
		return netip.AddrPort{}, fmt.Errorf("%w: %q", errSyntax, s)
	}
	var b [6]byte
	for i, n := range f {
		v, err := strconv.ParseUint(n, 10, 8)
		if err != nil || len(n) > 3 {
			return netip.AddrPort{}, fmt.Errorf("%w: %q", errSyntax, s)
		}
		b[i] = byte(v)
	}
	port := uint16(b[4])<<8 | uint16(b[5])
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), port), nil
}

// formatHostPort is the "h1,h2,h3,h4,p1,p2" form of an IPv4 ap.
func formatHostPort(ap netip.AddrPort) string {
	a := ap.Addr().As4()
	p := ap.Port()
	return fmt.Sprintf("%d,%d,%d,%d,%d,%d", a[0], a[1], a[2], a[3], p>>8, p&0xff)
}

// parseEPRT reads RFC 2428's "|af|addr|port|", with any delimiter.
func parseEPRT(s string) (netip.AddrPort, error) {
	s = strings.TrimSpace(s)
	if len(s) < 1 || !isDelimiter(s[0]) {
		return netip.AddrPort{}, fmt.Errorf("%w: %q", errSyntax, s)
	}
	f := strings.Split(s, s[:1])
	if len(f) != 5 || f[0] != "" || f[4] != "" {
		return netip.AddrPort{}, fmt.Errorf("%w: %q", errSyntax, s)
	}
	addr, err := netip.ParseAddr(f[2])
	port, perr := strconv.ParseUint(f[3], 10, 16)
	ok := err == nil && perr == nil && addr.Zone() == "" && f[1] == family(addr)
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%w: %q", errSyntax, s)
	}
	return netip.AddrPortFrom(addr, uint16(port)), nil
}

// formatEPRT is the "|af|addr|port|" form of ap.
func formatEPRT(ap netip.AddrPort) string {
	return fmt.Sprintf("|%s|%s|%d|", family(ap.Addr()), ap.Addr(), ap.Port())
}

// family is RFC 2428's number for a's address family, as EPRT and EPSV
// write it: "1" for IPv4, "2" for IPv6.
func family(a netip.Addr) string {
	if a.Is4() {
		return "1"
	}
	return "2"
}

// parse227 finds the port in a 227 reply's text: the six numbers start at
// its first digit (RFC 1123 4.1.2.6: do not rely on the parentheses).
func parse227(text string) (uint16, error) {
	i := strings.IndexAny(text, "0123456789")
	if i < 0 {
		return 0, fmt.Errorf("%w: %q", errSyntax, text)
	}
	j := i
	for j < len(text) && (text[j] == ',' || text[j] >= '0' && text[j] <= '9') {
		j++
	}
	ap, err := parseHostPort(text[i:j])
	if err != nil {
		return 0, err
	}
	if ap.Port() == 0 {
		return 0, fmt.Errorf("%w: port 0: %q", errSyntax, text)
	}
	return ap.Port(), nil
}

// parse229 finds the port in a 229 reply's text: "(<d><d><d>port<d>)"
// from its first "(", where d is one printable non-digit character, the
// same each time (RFC 2428 uses "|"). The text is read left to right with every
// index checked, so no delimiter, ")" among them, can cut it wrongly.
func parse229(text string) (uint16, error) {
	i := strings.IndexByte(text, '(')
	if i < 0 || len(text) < i+4 {
		return 0, fmt.Errorf("%w: %q", errSyntax, text)
	}
	d := text[i+1]
	rest := text[i+4:]
	if !isDelimiter(d) || text[i+2] != d || text[i+3] != d {
		return 0, fmt.Errorf("%w: %q", errSyntax, text)
	}
	n := 0
	for n < len(rest) && isDigit(rest[n]) {
		n++
	}
	if n == 0 || len(rest) < n+2 || rest[n] != d || rest[n+1] != ')' {
		return 0, fmt.Errorf("%w: %q", errSyntax, text)
	}
	port, err := strconv.ParseUint(rest[:n], 10, 16)
	if err != nil || port == 0 {
		return 0, fmt.Errorf("%w: %q", errSyntax, text)
	}
	return uint16(port), nil
}

// isDelimiter says whether c may delimit an EPRT argument or a 229 reply's
// port: RFC 2428 allows ASCII 33 to 126; a digit would be ambiguous.
func isDelimiter(c byte) bool { return c >= 33 && c <= 126 && !isDigit(c) }
