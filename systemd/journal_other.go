//go:build !linux

package systemd

import (
	"errors"
	"time"
)

var errUnsupported = errors.New("journald is only supported on Linux")

type journalConn struct{}

func dialJournal(string, time.Duration) (*journalConn, error) { return nil, errUnsupported }

func (*journalConn) send([]byte) error { return errUnsupported }

func (*journalConn) close() error { return nil }

// JournalAvailable reports whether journald's socket exists; never here.
func JournalAvailable() bool { return false }

// JournalStream reports whether stderr is connected to the journal;
// never here.
func JournalStream() bool { return false }
