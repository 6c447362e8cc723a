package outbound

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/redir-project/redir/forward"
)

// v2Signature opens every PROXY protocol v2 header.
const v2Signature = "\r\n\r\n\x00\r\nQUIT\n"

// header is the PROXY protocol header (version 1 or 2) saying that a TCP
// client at client connected to local. v4-mapped IPv6 addresses count as
// IPv4, so both ends are of one family; when either address is unknown
// the header says so (v1 "UNKNOWN", v2 family AF_UNSPEC), and the
// receiver uses the connection's own addresses.
func header(version int, client, local net.Addr) ([]byte, error) {
	src, err1 := forward.AddrPort(client)
	dst, err2 := forward.AddrPort(local)
	known := err1 == nil && err2 == nil && src.Addr().Is4() == dst.Addr().Is4()
	switch version {
	case 1:
		return headerV1(src, dst, known), nil
	case 2:
		return headerV2(src, dst, known), nil
	}
	return nil, fmt.Errorf("PROXY protocol version %d: want 1 or 2", version)
}

// headerV1 is the text form: "PROXY TCP4 SRC DST SPORT DPORT\r\n".
func headerV1(src, dst netip.AddrPort, known bool) []byte {
	if !known {
		return []byte("PROXY UNKNOWN\r\n")
	}
	family := "TCP6"
	if src.Addr().Is4() {
		family = "TCP4"
	}
	return fmt.Appendf(nil, "PROXY %s %s %s %s %s\r\n", family,
		src.Addr().WithZone(""), dst.Addr().WithZone(""),
		strconv.Itoa(int(src.Port())), strconv.Itoa(int(dst.Port())))
}

// headerV2 is the binary form: signature, version 2 and command PROXY,
// family and protocol (TCP over IPv4 or IPv6), the length of what follows,
// then source and destination address and source and destination port.
func headerV2(src, dst netip.AddrPort, known bool) []byte {
	h := []byte(v2Signature + "\x21")
	if !known {
		return append(h, 0x00, 0, 0) // AF_UNSPEC: no addresses follow
	}
	fam, n := byte(0x21), 36 // TCP over IPv6
	if src.Addr().Is4() {
		fam, n = 0x11, 12 // TCP over IPv4
	}
	h = append(h, fam)
	h = binary.BigEndian.AppendUint16(h, uint16(n))
	h = append(h, src.Addr().AsSlice()...)
	h = append(h, dst.Addr().AsSlice()...)
	h = binary.BigEndian.AppendUint16(h, src.Port())
	return binary.BigEndian.AppendUint16(h, dst.Port())
}
