package ftp

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
)

// script is a reader that returns its steps in turn, each bytes and an
// error together as io.Reader allows, then io.EOF.
type script struct {
	steps []step
}

type step struct {
	b   string
	err error
}

func (s *script) Read(p []byte) (int, error) {
	if len(s.steps) == 0 {
		return 0, io.EOF
	}
	st := s.steps[0]
	s.steps = s.steps[1:]
	return copy(p, st.b), st.err
}

// TestReadErrorAfterBytes: a reset that comes with the last bytes is
// returned once they are read, not lost (the record would say eof); a
// deadline that comes with bytes is returned once too, and the reader
// goes on after it.
func TestReadErrorAfterBytes(t *testing.T) {
	for _, tt := range []struct {
		name  string
		steps []step
		want  []step // what the lineReader's Reads return, in turn
	}{
		{"reset", []step{{"NOOP\r\nPWD\r\nQU", syscall.ECONNRESET}},
			[]step{{"NOOP\r\nPWD\r\n", nil}, {"", syscall.ECONNRESET}, {"QU", nil}, {"", io.EOF}}},
		{"deadline", []step{{"NOOP\r\n", os.ErrDeadlineExceeded}, {"PWD\r\n", nil}},
			[]step{{"NOOP\r\n", nil}, {"", os.ErrDeadlineExceeded}, {"PWD\r\n", nil}, {"", io.EOF}}},
		{"error alone", []step{{"", syscall.ECONNRESET}, {"NOOP\r\n", nil}},
			[]step{{"", syscall.ECONNRESET}, {"NOOP\r\n", nil}, {"", io.EOF}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newLineReader(&script{tt.steps}, func(l []byte) ([]byte, error) { return l, nil })
			for i, w := range tt.want {
				p := make([]byte, 64)
				n, err := r.Read(p)
				if string(p[:n]) != w.b || !errors.Is(err, w.err) || (w.err == nil) != (err == nil) {
					t.Fatalf("read %d: %q, %v; want %q, %v", i, p[:n], err, w.b, w.err)
				}
			}
		})
	}
}
