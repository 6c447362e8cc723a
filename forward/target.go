package forward

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
)

// literalTarget is Target's address when its host is an IP address and its
// port a number: nothing to resolve, so the relay can dial it at once.
func literalTarget(target string) (netip.AddrPort, bool) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return netip.AddrPort{}, false
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || ip.Zone() != "" {
		return netip.AddrPort{}, false
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil || n == 0 {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(n)), true
}

// resolve looks Target up afresh: every address of its host, in the
// resolver's order, keeping only the family of local when it is set.
func resolve(ctx context.Context, target string, local *net.TCPAddr) ([]netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(target)
	if err != nil {
		return nil, err
	}
	n, err := net.DefaultResolver.LookupPort(ctx, "tcp", port)
	if err != nil {
		return nil, err
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, ip := range ips {
		ip = ip.Unmap()
		if local == nil || (local.IP.To4() != nil) == ip.Is4() {
			out = append(out, netip.AddrPortFrom(ip, uint16(n)))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("forward: no address of %s in the family of %s", host, local.IP)
	}
	return out, nil
}
