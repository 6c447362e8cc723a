package ftp

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"testing"
)

// chunkReader returns at most n bytes a read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c chunkReader) Read(p []byte) (int, error) { return c.r.Read(p[:min(len(p), c.n)]) }

var allLegs = []legs{v4, v6, v6v4, v4v6}

// FuzzRewrite feeds arbitrary bytes, in chunks of any size, as commands and
// as replies: the rewriter must not panic, must stop only on a line that
// is too long or at its maxRefused-th refusal, and every line it passes
// on must be either one of the input's lines as it came or a well-formed
// line of its own; no PORT or EPRT from the client reaches the server as
// it was.
func FuzzRewrite(f *testing.F) {
	for _, tt := range append(append([]rewriteCase{}, commandCases...), replyCases...) {
		f.Add([]byte(tt.in), uint8(0), uint8(0))
	}
	f.Add([]byte("EPRT |2|2001:db8:1::10|1025|\r\nEPSV\r\n229 (|||1|)\r\n"), uint8(1), uint8(3))
	f.Add([]byte("PASV\n227 =198,51,100,20,1,1\n"), uint8(2), uint8(1))
	f.Fuzz(fuzzOne)
}

func fuzzOne(t *testing.T, in []byte, which, chunk uint8) {
	l := allLegs[int(which)%len(allLegs)]
	for _, dir := range []struct {
		fn       func(*session, []byte) ([]byte, error)
		ours     func([]byte) bool
		commands bool
	}{{(*session).command, wellFormedCommand, true}, {(*session).reply, wellFormedReply, false}} {
		s, toClient, _ := stubSession(Both, l)
		r := chunkReader{bytes.NewReader(in), 1 + int(chunk)%64}
		out, err := io.ReadAll(newLineReader(r, func(b []byte) ([]byte, error) { return dir.fn(s, b) }))
		tooLong := errors.Is(err, ErrLineTooLong) && hasLongLine(in)
		tooMany := errors.Is(err, errTooManyRefused) && s.refused.Load() == maxRefused
		if err != nil && !tooLong && !tooMany {
			t.Fatalf("error %v on %q", err, in)
		}
		checkOutput(t, in, out, dir.ours, dir.commands)
		for _, line := range lines([]byte(toClient.String())) {
			if !ownReply.Match(line) {
				t.Fatalf("malformed reply of our own %q", line)
			}
		}
	}
}

var (
	ownReply  = regexp.MustCompile(`^[1-5][0-9]{2} [ -~]+\r\n$`)
	ourPORT   = regexp.MustCompile(`^PORT 198,51,100,1,[0-9]{1,3},[0-9]{1,3}\r\n$`)
	ourEPRT   = regexp.MustCompile(`^EPRT \|2\|2001:db8:2::1\|[4-5][0-9]{4}\|\r\n$`)
	ourPasv   = regexp.MustCompile(`^(PASV|EPSV|EPSV ALL)\r\n$`)
	our227    = regexp.MustCompile(`^227 Entering Passive Mode \(192,0,2,1,[0-9]{1,3},[0-9]{1,3}\)\.\r\n$`)
	our229    = regexp.MustCompile(`^229 Entering Extended Passive Mode \(\|\|\|[4-5][0-9]{4}\|\)\.\r\n$`)
	ourNoData = regexp.MustCompile(`^425 [ -~]+\r\n$`)
)

func wellFormedCommand(line []byte) bool {
	return ourPORT.Match(line) || ourEPRT.Match(line) || ourPasv.Match(line)
}

func wellFormedReply(line []byte) bool {
	return our227.Match(line) || our229.Match(line) || ourNoData.Match(line)
}

// checkOutput: every output line is an input line or one of ours, and,
// for commands, an input PORT or EPRT line never comes out as it went in.
func checkOutput(t *testing.T, in, out []byte, ours func([]byte) bool, commands bool) {
	seen := map[string]bool{}
	for _, line := range lines(in) {
		seen[string(line)] = true
	}
	for _, line := range lines(out) {
		if len(line) > MaxLineLength {
			t.Fatalf("line of %d bytes passed on", len(line))
		}
		if ours(line) {
			continue
		}
		if !seen[string(line)] {
			t.Fatalf("line %q is neither an input line nor a well-formed one of ours", line)
		}
		if v, _ := splitCommand(line); commands && (v == "PORT" || v == "EPRT") {
			t.Fatalf("client's %q passed on unchanged", line)
		}
	}
}

// lines splits b after each "\n"; the last line may have none.
func lines(b []byte) [][]byte {
	var ls [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return append(ls, b)
		}
		ls = append(ls, b[:i+1])
		b = b[i+1:]
	}
	return ls
}

func hasLongLine(in []byte) bool {
	for _, l := range lines(in) {
		if len(l) > MaxLineLength || len(l) == MaxLineLength && l[len(l)-1] != '\n' {
			return true
		}
	}
	return false
}
