package ftp

import (
	"errors"
	"testing"
)

// TestParse229: the port is read only from "(", three delimiters, digits,
// the delimiter and ")"; anything else, whatever the delimiter, is an
// error and never a panic.
func TestParse229(t *testing.T) {
	for _, tt := range []struct {
		text string
		port uint16 // 0: an error
	}{
		{"Entering Extended Passive Mode (|||6446|)", 6446},
		{"ok ()))1))", 1},
		{"((((21()", 21},
		{"(!!!65535!).", 65535},
		{"ok ())))!!\x1121!)", 0},
		{"())))", 0}, {"()))", 0}, {"())", 0}, {"()", 0}, {"(", 0}, {"", 0},
		{"(|||21|", 0}, {"(|||21", 0}, {"(|||21)", 0}, {"(|||21!)", 0}, {"(||!21!)", 0},
		{"(|||65536|)", 0}, {"(|||0|)", 0}, {"(||||)", 0}, {"(|||-1|)", 0}, {"(|||+1|)", 0},
		{"(1112121)", 0}, {"(   21 )", 0}, {"(\x7f\x7f\x7f21\x7f)", 0},
	} {
		port, err := parse229(tt.text)
		if port != tt.port || (tt.port == 0) != errors.Is(err, errSyntax) {
			t.Errorf("parse229(%q) = %d, %v; want %d", tt.text, port, err, tt.port)
		}
	}
}

// TestParse227: six numbers of 0 to 255 from the first digit on, and a
// port other than zero.
func TestParse227(t *testing.T) {
	for _, tt := range []struct {
		text string
		port uint16
	}{
		{"Entering Passive Mode (198,51,100,20,200,10).", 51210},
		{"=10,9,9,9,0,80", 80},
		{"(1,2,3,4,0,0)", 0}, {"(1,2,3,4,256,1)", 0}, {"(1,2,3,4,5)", 0}, {"(1,2,3,4,5,6,7)", 0},
		{"(1,2,3,4,,5)", 0}, {"(0001,2,3,4,5,6)", 0}, {",,,,,", 0}, {"none", 0}, {"", 0},
	} {
		port, err := parse227(tt.text)
		if port != tt.port || (tt.port == 0) != errors.Is(err, errSyntax) {
			t.Errorf("parse227(%q) = %d, %v; want %d", tt.text, port, err, tt.port)
		}
	}
}

// TestParseEPRT: the delimiter is any printable character but a digit.
func TestParseEPRT(t *testing.T) {
	for _, tt := range []struct {
		arg, want string // want "": an error
	}{
		{"|1|192.0.2.10|1025|", "192.0.2.10:1025"},
		{" )2)2001:db8::1)21) ", "[2001:db8::1]:21"},
		{"2|2|2001:db8::1|21|", ""}, {"|1|2001:db8::1|21|", ""}, {"|2|192.0.2.1|21|", ""},
		{"|1|192.0.2.10|65536|", ""}, {"|1|192.0.2.10|-1|", ""}, {"|2|fe80::1%eth0|21|", ""},
		{"|1|192.0.2.10|21", ""}, {"|", ""}, {"", ""}, {"\x7f1\x7f192.0.2.10\x7f21\x7f", ""},
	} {
		ap, err := parseEPRT(tt.arg)
		if tt.want == "" && !errors.Is(err, errSyntax) || tt.want != "" && (err != nil || ap.String() != tt.want) {
			t.Errorf("parseEPRT(%q) = %v, %v; want %q", tt.arg, ap, err, tt.want)
		}
	}
}
