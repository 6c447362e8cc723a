package systemd

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// These tests read what the handler sends off a socket of their own, to
// check the encoding byte for byte; journald_linux_test.go checks that a
// real journald stores it.

// sink is a datagram socket standing where journald's would.
type sink struct {
	path string
	conn *net.UnixConn
}

func newSink(t *testing.T) *sink {
	t.Helper()
	path := filepath.Join(t.TempDir(), "journal.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &sink{path: path, conn: c}
}

func (s *sink) handler(t *testing.T, level slog.Leveler, timeout time.Duration) *JournalHandler {
	t.Helper()
	h, err := NewJournalHandler(JournalOptions{Identifier: "redir-test", Level: level, Socket: s.path, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

// next reads one entry, from a datagram or from the memfd it passes.
func (s *sink) next(t *testing.T) (entry map[string][]string, viaMemfd bool) {
	t.Helper()
	buf, oob := make([]byte, 1<<16), make([]byte, unix.CmsgSpace(4*4))
	s.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, oobn, _, _, err := s.conn.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	data := buf[:n]
	if oobn > 0 {
		data, viaMemfd = readPassedMemfd(t, oob[:oobn], n), true
	}
	entry, err = parseEntry(data)
	if err != nil {
		t.Fatalf("%v in %q", err, data)
	}
	return entry, viaMemfd
}

// readPassedMemfd checks that a datagram of n bytes passed one memfd,
// sealed as journald wants it, and returns its content.
func readPassedMemfd(t *testing.T, oob []byte, n int) []byte {
	t.Helper()
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("control messages %v, %v", msgs, err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		t.Fatalf("passed fds %v, %v", fds, err)
	}
	f := os.NewFile(uintptr(fds[0]), "memfd")
	defer f.Close()
	if n != 0 {
		t.Errorf("datagram with a memfd carries %d bytes, want none", n)
	}
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	want := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE | unix.F_SEAL_SEAL
	if err != nil || seals&want != want {
		t.Errorf("memfd seals %#x (%v), want %#x", seals, err, want)
	}
	// The memfd's offset is where the sender stopped writing: read from 0,
	// as journald does.
	data, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<30))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// parseEntry decodes journald's native protocol.
func parseEntry(b []byte) (map[string][]string, error) {
	m := map[string][]string{}
	for len(b) > 0 {
		i := bytes.IndexAny(b, "=\n")
		if i <= 0 {
			return nil, errors.New("no field name")
		}
		name, rest := string(b[:i]), b[i+1:]
		var value []byte
		if b[i] == '=' {
			j := bytes.IndexByte(rest, '\n')
			if j < 0 {
				return nil, fmt.Errorf("field %s not ended", name)
			}
			value, b = rest[:j], rest[j+1:]
		} else {
			if len(rest) < 8 {
				return nil, fmt.Errorf("field %s: no length", name)
			}
			n := binary.LittleEndian.Uint64(rest)
			if uint64(len(rest)-8) < n+1 || rest[8+n] != '\n' {
				return nil, fmt.Errorf("field %s: length %d does not fit", name, n)
			}
			value, b = rest[8:8+n], rest[9+n:]
		}
		m[name] = append(m[name], string(value))
	}
	return m, nil
}

// checkFields reports every field of want that entry lacks or has with
// another value (or with several values).
func checkFields(t *testing.T, entry map[string][]string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := entry[k]; !slices.Equal(got, []string{v}) {
			t.Errorf("%s = %.200q, want %.200q", k, got, v)
		}
	}
}

func TestJournalHandlerFields(t *testing.T) {
	s := newSink(t)
	log := slog.New(s.handler(t, slog.LevelInfo, 0))
	log.Debug("filtered out")
	log.With("conn", 7).WithGroup("tgt").Log(context.Background(), LevelNotice, "connection closed",
		"addr", "127.0.0.1:80", slog.Group("g", "k", 1), slog.Group("", "flat", true),
		"bytes_from_client", 1234, "dur", 1500*time.Millisecond, "message", "attr")
	entry, _ := s.next(t)
	checkFields(t, entry, map[string]string{
		"MESSAGE": "connection closed", "PRIORITY": "5", "SYSLOG_IDENTIFIER": "redir-test",
		"SYSLOG_PID": strconv.Itoa(os.Getpid()), "CONN": "7", "TGT_ADDR": "127.0.0.1:80",
		"TGT_G_K": "1", "TGT_FLAT": "true", "TGT_BYTES_FROM_CLIENT": "1234", "TGT_DUR": "1.5s",
		"TGT_MESSAGE": "attr",
	})
	if len(entry) != 11 {
		t.Errorf("entry has %d fields, want 11: %q", len(entry), entry)
	}
}

func TestJournalHandlerMultiLine(t *testing.T) {
	s := newSink(t)
	log := slog.New(s.handler(t, slog.LevelDebug, 0))
	text := "line one\nline two\n\nwith = and \x00 NUL\n"
	log.Warn("first\nsecond", "text", text, "after", "x")
	entry, _ := s.next(t)
	checkFields(t, entry, map[string]string{
		"MESSAGE": "first\nsecond", "PRIORITY": "4", "TEXT": text, "AFTER": "x",
	})
}

func TestJournalHandlerOversize(t *testing.T) {
	s := newSink(t)
	log := slog.New(s.handler(t, slog.LevelDebug, 0))
	blob := strings.Repeat("0123456789abcdef", 300<<10/16) // 300 KiB, beyond a datagram
	log.Error("big", "blob", blob, "multi", "a\nb")
	log.Info("small")
	entry, memfd := s.next(t)
	if !memfd {
		t.Error("a 300 KiB entry did not come through a memfd")
	}
	checkFields(t, entry, map[string]string{"MESSAGE": "big", "PRIORITY": "3", "BLOB": blob, "MULTI": "a\nb"})
	entry, memfd = s.next(t)
	if memfd {
		t.Error("a small entry came through a memfd")
	}
	checkFields(t, entry, map[string]string{"MESSAGE": "small", "PRIORITY": "6"})
}

func TestJournalHandlerConcurrent(t *testing.T) {
	s := newSink(t)
	log := slog.New(s.handler(t, slog.LevelInfo, 0)).With("run", "c")
	const writers, each = 8, 25
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			l := log.With("writer", w)
			for i := range each {
				l.Info("record", "i", i)
			}
		})
	}
	seen := map[string]bool{}
	for range writers * each {
		entry, _ := s.next(t)
		key := fmt.Sprint(entry["WRITER"], entry["I"], entry["RUN"])
		if seen[key] {
			t.Errorf("entry %s twice", key)
		}
		seen[key] = true
	}
	wg.Wait()
}

// lazy is a LogValuer, which the handler must resolve.
type lazy string

func (l lazy) LogValue() slog.Value { return slog.StringValue("resolved " + string(l)) }

func TestJournalHandlerGroups(t *testing.T) {
	s := newSink(t)
	log := slog.New(s.handler(t, slog.LevelInfo, 0))
	log.With("before", 1).WithGroup("outer").With("mid", 2).WithGroup("inner").Info("m",
		"leaf", lazy("x"), slog.Attr{}, slog.Group("empty"), slog.Group("", slog.Group("g", "k", "v")))
	entry, _ := s.next(t)
	checkFields(t, entry, map[string]string{
		"BEFORE": "1", "OUTER_MID": "2", "OUTER_INNER_LEAF": "resolved x", "OUTER_INNER_G_K": "v",
	})
	if len(entry) != 8 {
		t.Errorf("entry has %d fields, want 8: %q", len(entry), entry)
	}
}
