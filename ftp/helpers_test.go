package ftp

import (
	"bytes"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"testing/iotest"

	"github.com/redir-project/redir/internal/testenv"
)

// legs is a control connection's four addresses.
type legs struct{ client, front, server, back string }

var (
	v4   = legs{"192.0.2.10:5555", "192.0.2.1", "198.51.100.20:21", "198.51.100.1"}
	v6   = legs{"[2001:db8:1::10]:5555", "2001:db8:1::1", "[2001:db8:2::20]:21", "2001:db8:2::1"}
	v6v4 = legs{"[2001:db8:1::10]:5555", "2001:db8:1::1", "198.51.100.20:21", "198.51.100.1"}
	v4v6 = legs{"192.0.2.10:5555", "192.0.2.1", "[2001:db8:2::20]:21", "2001:db8:2::1"}
)

// stubSession is a session whose data listeners are only recorded: the
// n-th gets port 40000+n (modulo 20000) on the address it is to listen on.
func stubSession(mode Mode, l legs) (*session, *testenv.Buffer, *[]dataPlan) {
	s := &session{
		cfg: Config{Mode: mode}, log: slog.New(slog.DiscardHandler),
		client: netip.MustParseAddrPort(l.client), front: netip.MustParseAddr(l.front),
		server: netip.MustParseAddrPort(l.server), back: netip.MustParseAddr(l.back),
	}
	toClient := new(testenv.Buffer)
	s.toc.w = toClient
	var plans []dataPlan
	s.open = func(d dataPlan) (netip.AddrPort, error) {
		plans = append(plans, d)
		return netip.AddrPortFrom(d.listen, uint16(40000+(len(plans)-1)%20000)), nil
	}
	return s, toClient, &plans
}

// feed is one way of handing a stream to a lineReader.
type feed struct {
	name string
	make func(in string) []io.Reader // one reader per run
}

// feeds hands the input whole, split in two at every byte, and one byte
// at a time.
var feeds = []feed{
	{"whole", func(in string) []io.Reader { return []io.Reader{bytes.NewReader([]byte(in))} }},
	{"split", func(in string) []io.Reader {
		var rs []io.Reader
		for i := 1; i < len(in); i++ {
			rs = append(rs, io.MultiReader(bytes.NewReader([]byte(in[:i])), bytes.NewReader([]byte(in[i:]))))
		}
		return rs
	}},
	{"onebyte", func(in string) []io.Reader { return []io.Reader{iotest.OneByteReader(bytes.NewReader([]byte(in)))} }},
}

// runLines reads everything r's lines come to through fn.
func runLines(t *testing.T, r io.Reader, fn lineFunc) (string, error) {
	t.Helper()
	out, err := io.ReadAll(newLineReader(r, fn))
	return string(out), err
}
