package ftp

import (
	"bytes"
	"errors"
	"io"
)

// ErrLineTooLong ends a session whose peer sent a control line longer
// than MaxLineLength.
var ErrLineTooLong = errors.New("ftp: control line too long")

// readSize is how much a lineReader asks its source for at a time.
const readSize = 4096

// lineFunc turns one control line into what is passed on in its place.
// line ends with "\n" (or "\r\n"), except the last line of a stream that
// ended without one. The result may be line itself, a rewritten line
// ending in "\r\n", or nothing; an error ends the session.
type lineFunc func(line []byte) ([]byte, error)

// A lineReader reads a control stream and returns it line by line through
// fn. It holds at most MaxLineLength bytes of an unfinished line plus one
// read, whatever the peer sends. Errors other than io.EOF (a read
// deadline, for one) are returned as they come and leave it usable.
type lineReader struct {
	src     io.Reader
	fn      lineFunc
	partial []byte // the start of a line whose end has not come yet
	out     []byte // what is ready to be read
	err     error  // io.EOF or a lineFunc's error, once out is empty
	readErr error  // a read error that came with bytes: next, once out is empty
	buf     []byte
}

func newLineReader(src io.Reader, fn lineFunc) *lineReader {
	return &lineReader{src: src, fn: fn, buf: make([]byte, readSize)}
}

// Read returns rewritten bytes, reading from src when none are ready. A
// read error that comes with bytes is returned once those are read, so
// that a reset is never taken for the end of the stream.
func (r *lineReader) Read(p []byte) (int, error) {
	for len(r.out) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if err := r.readErr; err != nil {
			r.readErr = nil
			return 0, err
		}
		n, err := r.src.Read(r.buf)
		r.take(r.buf[:n])
		switch {
		case err == io.EOF:
			r.finish()
		case err != nil && len(r.out) == 0:
			return 0, err
		case err != nil:
			r.readErr = err
		}
	}
	n := copy(p, r.out)
	r.out = r.out[n:]
	if len(r.out) == 0 {
		r.out = nil // let a large rewrite's buffer go
	}
	return n, nil
}

// take adds b to the stream and runs fn over every line it completes.
func (r *lineReader) take(b []byte) {
	for len(b) > 0 && r.err == nil {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			r.partial = append(r.partial, b...)
			if len(r.partial) >= MaxLineLength {
				r.err = ErrLineTooLong
			}
			return
		}
		line := b[:i+1]
		if len(r.partial) > 0 {
			line = append(r.partial, line...)
		}
		b = b[i+1:]
		r.partial = r.partial[:0]
		if len(line) > MaxLineLength {
			r.err = ErrLineTooLong
			return
		}
		r.line(line)
	}
}

// finish passes on what is left of an unfinished last line, then EOF.
func (r *lineReader) finish() {
	if r.err != nil {
		return
	}
	if len(r.partial) > 0 {
		r.line(r.partial)
		r.partial = nil
	}
	if r.err == nil {
		r.err = io.EOF
	}
}

func (r *lineReader) line(line []byte) {
	out, err := r.fn(line)
	r.out = append(r.out, out...)
	if err != nil {
		r.err = err
	}
}
