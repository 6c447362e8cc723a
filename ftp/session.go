package ftp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/redir-project/redir/forward"
)

// errReplyBacklog ends a session whose own replies to the client pile up
// while the server is in the middle of one of its own.
var errReplyBacklog = errors.New("ftp: too many replies waiting for the server's")

// maxRefused is how many PORT and EPRT commands and passive replies a
// session refuses, each with a warning, before it ends: one peer cannot
// flood the log with them.
const maxRefused = 8

// errTooManyRefused ends a session at its maxRefused-th refusal.
var errTooManyRefused = fmt.Errorf("ftp: %d PORT or EPRT commands or passive replies refused, control connection closed", maxRefused)

// wantReply is the passive reply the client asked for.
type wantReply uint8

const (
	want227 wantReply = iota + 1 // PASV
	want229                      // EPSV
)

// session is one control connection: what both directions know of it.
type session struct {
	cfg    Config
	id     uint64
	log    *slog.Logger
	client netip.AddrPort // the FTP client, as the redirector sees it
	front  netip.Addr     // the redirector's address the client reached
	server netip.AddrPort // the FTP server
	back   netip.Addr     // the redirector's address towards the server
	// open makes a data listener; s.openData but for tests.
	open func(d dataPlan) (netip.AddrPort, error)

	want    atomic.Uint32 // the wantReply of the client's last PASV or EPSV
	refused atomic.Int32  // the commands and replies refused so far
	toc     replyWriter
	ctx     context.Context // done when the session ends
	stop    context.CancelFunc
	mu      sync.Mutex     // guards the end of ctx, pending and data's Add
	pending func()         // closes the data listener waiting, if any
	data    sync.WaitGroup // the data goroutines
}

func newSession(cfg Config, id uint64, client, target net.Conn) (*session, error) {
	addrs := []net.Addr{client.RemoteAddr(), client.LocalAddr(), target.RemoteAddr(), target.LocalAddr()}
	var ap [4]netip.AddrPort
	for i, a := range addrs {
		var err error
		if ap[i], err = forward.AddrPort(a); err != nil {
			return nil, fmt.Errorf("ftp: control connection address: %w", err)
		}
	}
	s := &session{
		cfg: cfg, id: id, client: ap[0], front: ap[1].Addr(), server: ap[2], back: ap[3].Addr(),
		log: cfg.Log.With("conn", id),
	}
	s.toc.w = client
	s.open = s.openData
	s.ctx, s.stop = context.WithCancel(context.Background())
	return s, nil
}

// shutdown ends the session: no data listener is opened any more, the
// waiting one is closed, and it returns once no data goroutine is left,
// so no Relay call can follow it.
func (s *session) shutdown() {
	s.mu.Lock()
	s.stop()
	s.mu.Unlock()
	s.data.Wait()
}

// refuse records one refusal and returns errTooManyRefused when it is
// the session's last.
func (s *session) refuse(msg string, args ...any) error {
	s.log.Warn(msg, args...)
	if s.refused.Add(1) < maxRefused {
		return nil
	}
	return errTooManyRefused
}

// answer sends the client a reply of the proxy's own, in place of a
// command that is not passed to the server.
func (s *session) answer(reply string) ([]byte, error) {
	return nil, s.toc.inject([]byte(reply + "\r\n"))
}

// replyWriter writes the server's replies to the client and slips the
// proxy's own replies in between them, never inside one.
type replyWriter struct {
	mu     sync.Mutex
	w      io.Writer // the client conn
	track  replyTracker
	queued []byte
}

// Write writes p, then any of the proxy's replies that were waiting for
// the server's reply to end.
func (r *replyWriter) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.w.Write(p)
	r.track.feed(p[:n])
	if err == nil && len(r.queued) > 0 && r.track.between() {
		_, err = r.w.Write(r.queued)
		r.queued = nil
	}
	return n, err
}

// inject writes b now when no server reply is half written, or queues it.
func (r *replyWriter) inject(b []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.track.between() && len(r.queued) == 0 {
		_, err := r.w.Write(b)
		return err
	}
	if len(r.queued)+len(b) > MaxLineLength {
		return errReplyBacklog
	}
	r.queued = append(r.queued, b...)
	return nil
}

// replyTracker follows the replies written to the client (RFC 959 4.2:
// "ddd-" opens a multi-line reply, "ddd " with the same code ends it) to
// tell when the client is between two replies.
type replyTracker struct {
	head  [4]byte // the first bytes of the current line
	n     int     // bytes of the current line seen so far
	multi [3]byte // the code of the open multi-line reply
	open  bool    // a multi-line reply is open
}

func (t *replyTracker) feed(b []byte) {
	for _, c := range b {
		if c == '\n' {
			t.endLine()
			continue
		}
		if t.n < len(t.head) {
			t.head[t.n] = c
		}
		t.n++
	}
}

func (t *replyTracker) endLine() {
	code := t.n >= 4 && isDigit(t.head[0]) && isDigit(t.head[1]) && isDigit(t.head[2])
	switch {
	case code && !t.open && t.head[3] == '-':
		t.open = true
		copy(t.multi[:], t.head[:3])
	case code && t.open && t.head[3] != '-' && [3]byte(t.head[:3]) == t.multi:
		t.open = false
	}
	t.n = 0
}

func (t *replyTracker) between() bool { return t.n == 0 && !t.open }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
