package main

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// addresses fills Listen and Target from the positional arguments, from
// the redir 2.x options --laddr, --lport, --caddr and --cport, or from the
// --config file's listen and target lines.
func (c *cliArgs) addresses(cfg *config) error {
	if c.Laddr.set || c.Lport.set || c.Caddr.set || c.Cport.set {
		cfg.Foreground = true
		return c.v2Addresses(cfg)
	}
	if c.conf != nil && !c.Arg2.set {
		return c.fileAddresses(cfg)
	}
	if c.Inetd || c.activated {
		return c.inheritedTarget(cfg)
	}
	var err error
	if !c.Arg1.set {
		return errors.New("missing arguments: want [SRC]:PORT [DST]:PORT")
	}
	if !c.Arg2.set {
		return fmt.Errorf("missing argument: want [DST]:PORT after %q", c.Arg1.val)
	}
	listen, err := listenAddr(c.Arg1.val)
	if err != nil {
		return err
	}
	cfg.Listen = []string{listen}
	cfg.Target, err = targetAddr(c.Arg2.val)
	return err
}

// v2Addresses handles the redir 2.x form: --lport and --cport, each with an
// optional address. In -i mode and under socket activation the listening
// side is inherited, so only the --caddr and --cport pair applies.
func (c *cliArgs) v2Addresses(cfg *config) error {
	if c.Arg1.set {
		return fmt.Errorf("argument %q: use either --lport/--cport or [SRC]:PORT [DST]:PORT, not both", c.Arg1.val)
	}
	inherited := c.Inetd || c.activated
	switch {
	case inherited && (c.Laddr.set || c.Lport.set):
		return fmt.Errorf("--laddr and --lport do not apply %s", c.srcComesFrom())
	case !inherited && !c.Lport.set:
		return errors.New("missing --lport: --lport and --cport go together")
	case !c.Cport.set:
		return errors.New("missing --cport: --lport and --cport go together")
	}
	if !inherited {
		listen, err := v2Addr(c.Laddr, c.Lport, "--laddr", "--lport", "")
		if err != nil {
			return err
		}
		cfg.Listen = []string{listen}
	}
	var err error
	cfg.Target, err = v2Addr(c.Caddr, c.Cport, "--caddr", "--cport", "localhost")
	return err
}

// v2Addr joins a 2.x address and port option; an empty address is def.
func v2Addr(addr, port optArg, addrName, portName, def string) (string, error) {
	p, err := parsePort(port.val, portName+"="+port.val)
	if err != nil {
		return "", err
	}
	host, err := v2Host(addr, addrName)
	if err != nil {
		return "", err
	}
	if host == "" {
		host = def
	}
	return net.JoinHostPort(host, p), nil
}

// v2Host checks --laddr or --caddr: an address without a port, so an IPv6
// address may come with or without brackets.
func v2Host(a optArg, name string) (string, error) {
	host := a.val
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	if strings.Contains(host, ":") {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("invalid %s address %q", name, a.val)
		}
		return host, nil
	}
	if err := checkHost(host); err != nil {
		return "", fmt.Errorf("invalid %s %q: %w", name, a.val, err)
	}
	return host, nil
}

// listenAddr turns [SRC]:PORT into a net.Listen address; an empty SRC
// means every address.
func listenAddr(arg string) (string, error) {
	host, port, err := splitAddr(arg)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, port), nil
}

// targetAddr turns [DST]:PORT into a dial address; an empty DST means the
// local host.
func targetAddr(arg string) (string, error) {
	host, port, err := splitAddr(arg)
	if err != nil {
		return "", err
	}
	if host == "" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port), nil
}

// splitAddr splits and checks redir's [HOST]:PORT, where HOST is empty, an
// IPv4 address, a host name or an IPv6 address in brackets. The port comes
// back as a number even when it was given as a service name.
func splitAddr(arg string) (host, port string, err error) {
	var rest string
	if strings.HasPrefix(arg, "[") {
		end := strings.Index(arg, "]")
		if end < 0 {
			return "", "", fmt.Errorf("invalid address %q: missing ']'", arg)
		}
		host, rest = arg[1:end], arg[end+1:]
		if ip, err := netip.ParseAddr(host); err != nil || !ip.Is6() {
			return "", "", fmt.Errorf("invalid IPv6 address %q in %q", host, arg)
		}
	} else {
		i := strings.LastIndex(arg, ":")
		if i < 0 {
			return "", "", fmt.Errorf("invalid address %q: want [HOST]:PORT", arg)
		}
		host, rest = arg[:i], arg[i:]
		if strings.Contains(host, ":") {
			return "", "", fmt.Errorf("invalid address %q: put an IPv6 address in brackets, as in [::1]:80", arg)
		}
		if err := checkHost(host); err != nil {
			return "", "", fmt.Errorf("invalid address %q: %w", arg, err)
		}
	}
	if !strings.HasPrefix(rest, ":") {
		return "", "", fmt.Errorf("invalid address %q: want [IPv6]:PORT", arg)
	}
	port, err = parsePort(rest[1:], arg)
	return host, port, err
}

// checkHost accepts an empty host, an IPv4 address or something that can
// be a host name; whether the name resolves is found out when dialling.
func checkHost(host string) error {
	if strings.Trim(host, "0123456789.") == "" && host != "" {
		if _, err := netip.ParseAddr(host); err != nil {
			return fmt.Errorf("bad IPv4 address %q", host)
		}
		return nil
	}
	if len(host) > 253 {
		return errors.New("host name longer than 253 bytes")
	}
	for _, r := range host {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '.' || r == '_'
		if !ok {
			return fmt.Errorf("bad host name %q", host)
		}
	}
	return nil
}

// parsePort turns a port number or a service name (from /etc/services)
// into a decimal port 1-65535; arg is what the user typed, for errors.
func parsePort(port, arg string) (string, error) {
	if port == "" {
		return "", fmt.Errorf("missing port in %q", arg)
	}
	if strings.TrimLeft(port, "+-0123456789") == "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("invalid port %q in %q: must be 1-65535", port, arg)
		}
		return strconv.Itoa(n), nil
	}
	n, err := net.LookupPort("tcp", port)
	if err != nil || n < 1 {
		return "", fmt.Errorf("unknown service %q in %q", port, arg)
	}
	return strconv.Itoa(n), nil
}

// parseIP accepts a literal IPv4 or IPv6 address, the latter also in
// brackets, and returns it in its canonical form.
func parseIP(s string) (string, error) {
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		s = s[1 : len(s)-1]
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return "", err
	}
	return ip.String(), nil
}
