package outbound

import (
	"bytes"
	"net"
	"testing"
)

func tcpAddr(s string) *net.TCPAddr {
	a, err := net.ResolveTCPAddr("tcp", s)
	if err != nil {
		panic(err)
	}
	return a
}

func TestHeaderV1(t *testing.T) {
	tests := []struct {
		client, local net.Addr
		want          string
	}{
		{tcpAddr("192.0.2.1:40000"), tcpAddr("198.51.100.2:80"), "PROXY TCP4 192.0.2.1 198.51.100.2 40000 80\r\n"},
		{tcpAddr("[::ffff:192.0.2.1]:40000"), tcpAddr("[::ffff:198.51.100.2]:80"), "PROXY TCP4 192.0.2.1 198.51.100.2 40000 80\r\n"},
		{tcpAddr("[2001:db8::1]:1"), tcpAddr("[2001:db8::2]:65535"), "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n"},
		{tcpAddr("[fe80::1%lo]:5"), tcpAddr("[fe80::2%lo]:6"), "PROXY TCP6 fe80::1 fe80::2 5 6\r\n"},
		{tcpAddr("192.0.2.1:40000"), nil, "PROXY UNKNOWN\r\n"},
		{tcpAddr("192.0.2.1:40000"), tcpAddr("[2001:db8::2]:80"), "PROXY UNKNOWN\r\n"},
	}
	for _, tt := range tests {
		got, err := header(1, tt.client, tt.local)
		if err != nil || string(got) != tt.want {
			t.Errorf("header(1, %v, %v) = %q, %v; want %q", tt.client, tt.local, got, err, tt.want)
		}
	}
}

func TestHeaderV2(t *testing.T) {
	sig := []byte("\r\n\r\n\x00\r\nQUIT\n\x21")
	tests := []struct {
		client, local net.Addr
		want          []byte
	}{
		{tcpAddr("192.0.2.1:40000"), tcpAddr("[::ffff:198.51.100.2]:80"), []byte{
			0x11, 0, 12, 192, 0, 2, 1, 198, 51, 100, 2, 0x9c, 0x40, 0, 80}},
		{tcpAddr("[2001:db8::1]:258"), tcpAddr("[2001:db8::2]:443"), []byte{
			0x21, 0, 36,
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
			1, 2, 1, 0xbb}},
		{nil, tcpAddr("192.0.2.1:1"), []byte{0, 0, 0}},
	}
	for _, tt := range tests {
		got, err := header(2, tt.client, tt.local)
		want := append(bytes.Clone(sig), tt.want...)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("header(2, %v, %v) = %x, %v; want %x", tt.client, tt.local, got, err, want)
		}
	}
}

func TestHeaderBadVersion(t *testing.T) {
	if _, err := header(3, tcpAddr("192.0.2.1:1"), tcpAddr("192.0.2.2:2")); err == nil {
		t.Error("header(3, ...) gave no error")
	}
}
