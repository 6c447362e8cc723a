package conffile

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Listen is a listen line: a TCP port on every address (IPv4 and IPv6),
// or on one IPv4 or IPv6 address. The syntax is what systemd's
// ListenStream= takes for TCP, so that the generator can copy it: a
// numeric port, IPv4:PORT or [IPv6]:PORT (with an optional %zone). Host
// names and service names are refused: systemd resolves neither.
type Listen struct {
	Addr netip.Addr // the zero Addr means every address
	Port uint16
}

// ParseListen checks a listen value.
func ParseListen(s string) (Listen, error) {
	if s != "" && strings.Trim(s, digits) == "" {
		p, err := parseListenPort(s, s)
		return Listen{Port: p}, err
	}
	i := strings.LastIndex(s, ":")
	if i < 0 || i == len(s)-1 || strings.Trim(s[i+1:], digits) != "" {
		return Listen{}, listenError(s)
	}
	p, err := parseListenPort(s[i+1:], s)
	if err != nil {
		return Listen{}, err
	}
	host, v6 := s[:i], strings.HasPrefix(s, "[") && strings.HasSuffix(s[:i], "]")
	if v6 {
		host = host[1 : len(host)-1]
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Is6() != v6 {
		return Listen{}, listenError(s)
	}
	if a.Is4In6() {
		return Listen{}, fmt.Errorf("invalid listen address %q: an IPv4-mapped IPv6 address; write the IPv4 address", s)
	}
	return Listen{Addr: a, Port: p}, nil
}

const digits = "0123456789"

// parseListenPort reads a decimal port 1-65535; s is the whole value.
func parseListenPort(p, s string) (uint16, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid listen port %q in %q: must be 1-65535", p, s)
	}
	return uint16(n), nil
}

// listenError says what a listen value may be, with a hint for the
// spellings redir's SRC argument takes but systemd does not.
func listenError(s string) error {
	const want = "want PORT, IPv4:PORT or [IPv6]:PORT, numeric as systemd's ListenStream= takes them"
	switch {
	case strings.Count(s, ":") > 1 && !strings.HasPrefix(s, "["):
		return fmt.Errorf("invalid listen address %q: %s (put an IPv6 address in brackets)", s, want)
	case strings.HasPrefix(s, ":"):
		return fmt.Errorf("invalid listen address %q: %s (for every address write the port alone)", s, want)
	}
	return fmt.Errorf("invalid listen address %q: %s", s, want)
}

// Overlap says why l and m, two different listen values, cannot both be
// bound, or returns "" when they can. With the same port, a port alone
// takes every address; 0.0.0.0 every IPv4 address; and [::] every IPv6
// and, being dual-stack as systemd (BindIPv6Only=default) and Go open it,
// every IPv4 address too.
func (l Listen) Overlap(m Listen) string {
	if l.Port != m.Port || l == m {
		return ""
	}
	for _, w := range [][2]Listen{{l, m}, {m, l}} {
		if why := w[0].covers(w[1]); why != "" {
			return why
		}
	}
	return ""
}

// covers says why l takes every address m has, or returns "".
func (l Listen) covers(m Listen) string {
	switch {
	case !l.Addr.IsValid():
		return "a port alone means every IPv4 and IPv6 address"
	case l.Addr == netip.IPv4Unspecified() && m.Addr.Is4():
		return "0.0.0.0 means every IPv4 address"
	case l.Addr == netip.IPv6Unspecified() && m.Addr.IsValid():
		return "[::] means every IPv6 address and, dual-stack, every IPv4 one"
	}
	return ""
}

// String returns the listen value in its canonical form, which is also
// the value for systemd's ListenStream=: the port alone for every address.
func (l Listen) String() string {
	if !l.Addr.IsValid() {
		return strconv.Itoa(int(l.Port))
	}
	return l.Net()
}

// Net returns the address for net.Listen: ":PORT" for every address.
func (l Listen) Net() string {
	host := ""
	if l.Addr.IsValid() {
		host = l.Addr.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(l.Port)))
}
