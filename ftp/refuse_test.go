package ftp

import (
	"bufio"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/internal/testenv"
)

// TestRefusalsEndSession: a client that keeps sending bounces or malformed
// PORTs gets maxRefused refusals, each with one warning, then a 421, and
// the session ends with errTooManyRefused; nothing after it is read.
func TestRefusalsEndSession(t *testing.T) {
	for _, tt := range []struct {
		name, line, reply, record string
	}{
		{"bounce", "PORT 203,0,113,5,0,21\r\n", replyBounce, "bounce refused"},
		{"malformed", "EPRT |9|x|1|\r\n", replySyntax, "malformed command refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, toClient, _ := stubSession(Both, v4)
			logs := new(testenv.Buffer)
			s.log = slog.New(slog.NewTextHandler(logs, nil))
			in := strings.Repeat(tt.line, 3*maxRefused) + "NOOP\r\n"
			out, err := runLines(t, strings.NewReader(in), s.command)
			if out != "" || !errors.Is(err, errTooManyRefused) {
				t.Errorf("passed on %q, error %v; want nothing and %v", out, err, errTooManyRefused)
			}
			want := strings.Repeat(tt.reply+"\r\n", maxRefused) + replyRefused + "\r\n"
			if got := toClient.String(); got != want {
				t.Errorf("client got %q, want %q", got, want)
			}
			if n := strings.Count(logs.String(), tt.record); n != maxRefused {
				t.Errorf("%d %q records, want %d:\n%s", n, tt.record, maxRefused, logs)
			}
		})
	}
}

// TestMalformedRepliesEndSession: a server's malformed passive replies
// are bounded the same way; the client sees a 425 for each.
func TestMalformedRepliesEndSession(t *testing.T) {
	s, _, _ := stubSession(Pasv, v4)
	logs := new(testenv.Buffer)
	s.log = slog.New(slog.NewTextHandler(logs, nil))
	in := strings.Repeat("227 garbage\r\n", 3*maxRefused) + "226 done\r\n"
	out, err := runLines(t, strings.NewReader(in), s.reply)
	if want := strings.Repeat(replyNoData+"\r\n", maxRefused); out != want || !errors.Is(err, errTooManyRefused) {
		t.Errorf("passed on %q, error %v; want %q and %v", out, err, want, errTooManyRefused)
	}
	if n := strings.Count(logs.String(), "malformed passive reply"); n != maxRefused {
		t.Errorf("%d records, want %d:\n%s", n, maxRefused, logs)
	}
}

// TestRefusalsCloseOnTheWire: on real sockets, the client reads its
// refusals and the 421, and the forwarder's read of the control
// connection fails with errTooManyRefused.
func TestRefusalsCloseOnTheWire(t *testing.T) {
	r := newRig(t, Port, time.Minute)
	in := strings.Repeat("PORT 127,0,0,2,0,21\r\n", maxRefused+4)
	if _, err := r.client.Write([]byte(in)); err != nil {
		t.Fatal(err)
	}
	r.wc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := r.wc.Read(make([]byte, 64)); n != 0 || !errors.Is(err, errTooManyRefused) {
		t.Errorf("forwarder read %d bytes, %v; want 0 and %v", n, err, errTooManyRefused)
	}
	r.client.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(r.client)
	for i := range maxRefused + 1 {
		want := replyBounce + "\r\n"
		if i == maxRefused {
			want = replyRefused + "\r\n"
		}
		if got, err := br.ReadString('\n'); got != want {
			t.Fatalf("reply %d: %q, %v; want %q", i, got, err, want)
		}
	}
	if n := strings.Count(r.logs.String(), "bounce refused"); n != maxRefused {
		t.Errorf("%d bounce records, want %d:\n%s", n, maxRefused, r.logs)
	}
}
