package main

import (
	"net"
	"net/netip"
	"testing"
)

// absentAddrs returns an IPv4 and an IPv6 address that no interface of
// this host has, for a -b that must be refused. They come from the
// documentation ranges, which a host may still use (a test VM with
// 192.0.2.2/24 on eth0), so each candidate is checked.
func absentAddrs(t *testing.T) (v4, v6 string) {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	have := map[netip.Addr]bool{}
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			have[p.Addr().Unmap()] = true
		}
	}
	pick := func(candidates ...string) string {
		for _, c := range candidates {
			if !have[netip.MustParseAddr(c)] {
				return c
			}
		}
		t.Fatalf("every candidate %q is an address of this host", candidates)
		return ""
	}
	return pick("192.0.2.199", "198.51.100.199", "203.0.113.199"),
		pick("2001:db8::199", "2001:db8:1::199", "2001:db8:2::199")
}
