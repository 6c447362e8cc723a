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
	if r.err != nil {
		attrs = append(attrs, slog.String("error", r.err.Error()))
	}
	msg := fmt.Sprintf("Disconnect after %.3f sec, %d bytes from client, %d bytes from target: %s",
		d.Seconds(), r.fromClient, r.fromTarget, r.reason)
	log.LogAttrs(ctx, level, msg, attrs...)
}

func addrString(a interface{ String() string }) string {
	if a == nil {
		return ""
	}
	return a.String()
}
