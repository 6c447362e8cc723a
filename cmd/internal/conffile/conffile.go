// Package conffile reads redir's instance config files,
// /etc/redir/NAME.conf: one "key = value" a line, where a key is one of
// redir's long option names (without the dashes), listen or target, and
// "#" starts a comment line. It checks the syntax, the keys, the boolean
// values and the listen lines; the other values are for redir's option
// parser to check, and an *Error (File.Err) lets redir name the file and
// line of one it refuses, then or at start. redir (--config) and
// redir-generator both use it; it knows nothing of systemd units or of
// redir's config.
package conffile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxLine bounds one line; a config file has no reason to come near it.
const maxLine = 64 << 10

// An Entry is one key = value line.
type Entry struct {
	Key    string // canonical: a long option name, "listen" or "target"
	Name   string // the key as written: an alias stays an alias
	Value  string // trimmed; a Flag's is "true" or "false", a listen's canonical (Listen.String)
	Line   int    // from 1
	Listen Listen // a listen line's value, parsed; zero for every other key
}

// A File is a parsed config file.
type File struct {
	Path    string  // as given to Load or Parse, for errors
	Entries []Entry // in file order; every key but listen at most once, and no two listen lines overlap
}

// Error is a problem on one line of a file. Its text is
// "PATH:LINE: KEY: what is wrong", without "KEY: " when the line has no
// key or the message already names it.
type Error struct {
	Path string
	Line int
	Key  string // as written, or ""
	Err  error
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %v", e.Path, e.Line, e.Err)
	}
	return fmt.Sprintf("%s:%d: %s: %v", e.Path, e.Line, e.Key, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// Load reads and parses the file at path. An error opening or reading it
// names the path (*os.PathError); a parse error is an *Error.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Parse(f, path)
}

// Parse reads a config file from r; path names it in errors.
func Parse(r io.Reader, path string) (*File, error) {
	f := &File{Path: path}
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	n := 0
	for sc.Scan() {
		n++
		e, ok, err := parseLine(sc.Text(), n)
		if err != nil {
			return nil, &Error{Path: path, Line: n, Key: e.Name, Err: err}
		}
		if !ok {
			continue
		}
		if err := f.checkRepeat(seen, e); err != nil {
			return nil, &Error{Path: path, Line: n, Key: e.Name, Err: err}
		}
		seen[e.Key] = n
		f.Entries = append(f.Entries, e)
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return nil, &Error{Path: path, Line: n + 1, Err: fmt.Errorf("line longer than %d bytes", maxLine)}
	case err != nil: // a read error names the path itself (*os.PathError)
		return nil, err
	}
	return f, nil
}

// checkRepeat refuses a key given before, and a listen line that says
// again what one before does, or overlaps it: only one of them could be
// bound. seen has the line of each key so far.
func (f *File) checkRepeat(seen map[string]int, e Entry) error {
	if first, dup := seen[e.Key]; dup && e.Key != "listen" {
		return fmt.Errorf("given twice (first on line %d)", first)
	}
	if e.Key != "listen" {
		return nil
	}
	for _, p := range f.Entries {
		if p.Key != "listen" {
			continue
		}
		if p.Listen == e.Listen {
			return fmt.Errorf("%s given twice (first on line %d)", e.Value, p.Line)
		}
		if why := e.Listen.Overlap(p.Listen); why != "" {
			return fmt.Errorf("%s overlaps line %d (%s): %s; only one of them could be bound", e.Value, p.Line, p.Value, why)
		}
	}
	return nil
}

// parseLine reads one line; ok is false for a blank or comment line. On
// error, e.Name is the key when the line got as far as having one that
// the error message does not name already.
func parseLine(line string, n int) (e Entry, ok bool, err error) {
	line = strings.TrimSpace(line)
	if line == "" || strings.HasPrefix(line, "#") {
		return Entry{}, false, nil
	}
	name, value, found := strings.Cut(line, "=")
	if !found {
		return Entry{}, false, fmt.Errorf("want key = value, got %q", line)
	}
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if name == "" {
		return Entry{}, false, fmt.Errorf("missing key before '=' in %q", line)
	}
	key, kind, err := lookupKey(name)
	if err != nil {
		return Entry{}, false, err
	}
	e = Entry{Key: key, Name: name, Line: n}
	if err := e.setValue(kind, value); err != nil {
		return Entry{Name: name}, false, err
	}
	return e, true, nil
}

// setValue checks what every value must be and what a key's kind
// demands, and stores v in e: a flag's and a listen's canonical.
func (e *Entry) setValue(kind Kind, v string) error {
	switch {
	case strings.Contains(v, "#"):
		return fmt.Errorf("'#' in the value %q: a comment goes on a line of its own", v)
	case strings.HasPrefix(v, `"`) || strings.HasPrefix(v, "'"):
		return fmt.Errorf("quoted value %s: values are written without quotes", v)
	}
	switch kind {
	case Flag:
		b, err := parseFlag(v)
		if err != nil {
			return err
		}
		v = fmt.Sprint(b)
	case ListenKind:
		l, err := ParseListen(v)
		if err != nil {
			return err
		}
		e.Listen, v = l, l.String()
	}
	e.Value = v
	return nil
}

// Err returns err as an *Error on e's line, naming e's key; redir wraps
// with it what its option parser, and its checks at start, refuse in a
// value the file gave.
func (f *File) Err(e Entry, err error) error {
	return &Error{Path: f.Path, Line: e.Line, Key: e.Name, Err: err}
}

// Get returns the entry for key (canonical), if the file has it. For
// listen, the first one.
func (f *File) Get(key string) (Entry, bool) {
	for _, e := range f.Entries {
		if e.Key == key {
			return e, true
		}
	}
	return Entry{}, false
}
