package outbound

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// responseCases are proxies' answers to CONNECT and what readResponse
// makes of them: the status line, or the error it wraps.
var responseCases = []struct {
	in     string
	status string
	err    error
}{
	{"HTTP/1.0 200 Connection established\r\nProxy-agent: tinyproxy/1.11.1\r\n\r\n", "HTTP/1.0 200 Connection established", nil},
	{"HTTP/1.1 200\r\n\r\n", "HTTP/1.1 200", nil},
	{"HTTP/1.1 204 No Content\nVia: x\n\n", "HTTP/1.1 204 No Content", nil},
	{"HTTP/1.1 403 Access violation\r\nServer: tinyproxy\r\n\r\n<html>", "HTTP/1.1 403 Access violation", nil},
	{"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n", "HTTP/1.1 407 Proxy Authentication Required", nil},
	{"SSH-2.0-OpenSSH\r\n\r\n", "", ErrMalformed},
	{"HTTP/1.1 2x0 OK\r\n\r\n", "", ErrMalformed},
	{"HTTP/2 200\r\n\r\n", "", ErrMalformed},
	{"HTTP/1.X 200 OK\r\n\r\n", "", ErrMalformed},
	{"HTTP/1.1 2000\r\n\r\n", "", ErrMalformed},
	{"\r\n", "", ErrMalformed},
	{"", "", ErrMalformed},
	{"HTTP/1.1 200 OK\r\nVia: x\r\n", "HTTP/1.1 200 OK", ErrMalformed},
	{"HTTP/1.1 200 OK\r\n" + strings.Repeat("X-Pad: "+strings.Repeat("a", 100)+"\r\n", 200) + "\r\n", "HTTP/1.1 200 OK", ErrHeaderTooLong},
	{"HTTP/1.1 200 " + strings.Repeat("a", MaxResponseHeader) + "\r\n\r\n", "", ErrHeaderTooLong},
}

// TestReadResponse feeds each answer whole and one byte at a time.
func TestReadResponse(t *testing.T) {
	for _, tt := range responseCases {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(tt.in)
			if oneByte {
				r = iotest.OneByteReader(strings.NewReader(tt.in))
			}
			status, err := readResponse(bufio.NewReaderSize(r, MaxResponseHeader))
			if status != tt.status || !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Errorf("readResponse(%.60q) one byte at a time %v = %q, %v; want %q, %v",
					tt.in, oneByte, status, err, tt.status, tt.err)
			}
		}
	}
}

// TestValidStatus: only HTTP/1.0 and HTTP/1.1 status lines, a three-digit
// code, and a reason only after a space.
func TestValidStatus(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"HTTP/1.0 200 Connection established", true},
		{"HTTP/1.1 200", true},
		{"HTTP/1.1 407 Proxy Authentication Required", true},
		{"HTTP/1.1 200 ", true},
		{"HTTP/1.X 200 OK", false},
		{"HTTP/1.x 200 OK", false},
		{"HTTP/1.2 200 OK", false},
		{"HTTP/1.9 200 OK", false},
		{"HTTP/1. 200 OK", false},
		{"HTTP/2.0 200 OK", false},
		{"HTTP/2 200 OK", false},
		{"http/1.1 200 OK", false},
		{"HTTP/1.1  200 OK", false},
		{"HTTP/1.1 20 OK", false},
		{"HTTP/1.1 2000", false},
		{"HTTP/1.1 200OK", false},
		{"HTTP/1.1 -20 OK", false},
		{"HTTP/1.1", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := validStatus(tt.in); got != tt.want {
			t.Errorf("validStatus(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzReadResponse(f *testing.F) {
	for _, tt := range responseCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		status, err := readResponse(bufio.NewReaderSize(strings.NewReader(in), MaxResponseHeader))
		if err == nil && !validStatus(status) {
			t.Errorf("readResponse(%q) accepted status %q", in, status)
		}
		if err == nil && !strings.HasPrefix(in, status) {
			t.Errorf("readResponse(%q) = %q, not its first line", in, status)
		}
	})
}
