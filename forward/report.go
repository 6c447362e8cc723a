package forward

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// report logs the one record a connection gets when it ends: at info
// priority, like redir 3.3's "Disconnect after ..." line, or at error
// priority when the target could not be reached.
func (f *Forwarder) report(s *session, r result) {
	level := slog.LevelInfo
	if r.reason == ReasonDialError {
		level = slog.LevelError
	}
	log := f.logger()
	ctx := context.Background()
	if !log.Enabled(ctx, level) {
		return
	}
	d := time.Since(s.start)
	target := f.Target
	if s.target != nil {
		target = s.target.String()
	}
	attrs := []slog.Attr{
		slog.Uint64("conn", s.id),
		slog.String("client", addrString(s.client)),
		slog.String("local", addrString(s.local)),
		slog.String("target", target),
		slog.Int64("bytes_from_client", r.fromClient),
		slog.Int64("bytes_from_target", r.fromTarget),
		slog.Duration("duration", d),
		slog.String("reason", r.reason),
	}
	if s.parent != 0 {
		attrs = append(attrs, slog.Uint64("parent", s.parent))
	}
	if r.err != nil {
		attrs = append(attrs, slog.String("error", r.err.Error()))
	}
	msg := fmt.Sprintf("Disconnect after %.3f sec, %d bytes from client, %d bytes from target: %s",
		d.Seconds(), r.fromClient, r.fromTarget, r.reason)
	rec := slog.NewRecord(time.Now(), level, msg, 0)
	rec.AddAttrs(attrs...)
	f.records.put(log, rec)
}

// recordQueueLen is how many connection records may wait for the log.
const recordQueueLen = 4096

// recordQueue writes connection records from a goroutine of its own: they
// are made on a relay loop's thread, and a log sink that stalls (journald
// or syslog backing up) must not stall every connection of that loop. When
// the queue is full, put waits: records are never dropped.
type recordQueue struct {
	ch   chan queuedRecord
	done chan struct{}
}

type queuedRecord struct {
	log *slog.Logger
	rec slog.Record
}

func (q *recordQueue) start() {
	q.ch = make(chan queuedRecord, recordQueueLen)
	q.done = make(chan struct{})
	go q.write()
}

func (q *recordQueue) write() {
	defer close(q.done)
	for r := range q.ch {
		r.log.Handler().Handle(context.Background(), r.rec)
	}
}

func (q *recordQueue) put(log *slog.Logger, rec slog.Record) {
	q.ch <- queuedRecord{log, rec}
}

// stop writes what is queued and ends the writer; no put may follow.
func (q *recordQueue) stop() {
	close(q.ch)
	<-q.done
}

func addrString(a interface{ String() string }) string {
	if a == nil {
		return ""
	}
	return a.String()
}
