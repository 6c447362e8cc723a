package main

import (
	"bytes"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestParseShape checks -m, -o, -w and -z in short, long and underscore
// forms, and the defaults the others get when one is given.
func TestParseShape(t *testing.T) {
	shape := func(s shapeConfig) config { return base(func(c *config) { c.Shape = s }) }
	checkGood(t, []goodCase{
		{[]string{"-m", "100000", ":80", ":8080"}, shape(shapeConfig{MaxBandwidth: 100000, WaitInOut: 3, Bufsize: 4096})},
		{[]string{"-m8000", "-o1", "-w50", "-z256", ":80", ":8080"}, shape(shapeConfig{
			MaxBandwidth: 8000, WaitInOut: 1, RandomWait: 50 * time.Millisecond, Bufsize: 256})},
		{[]string{"--max-bandwidth=1", "--wait-in-out=2", "--random-wait=3600000", "--bufsize=16777216", ":80", ":8080"}, shape(shapeConfig{
			MaxBandwidth: 1, WaitInOut: 2, RandomWait: time.Hour, Bufsize: 16 << 20})},
		{[]string{"--max_bandwidth", "9223372036854775807", "--wait_in_out", "3", "--random_wait", "0", ":80", ":8080"}, shape(shapeConfig{
			MaxBandwidth: 1<<63 - 1, WaitInOut: 3, Bufsize: 4096})},
		{[]string{"-w", "10", ":80", ":8080"}, shape(shapeConfig{WaitInOut: 3, RandomWait: 10 * time.Millisecond, Bufsize: 4096})},
		// Accepted alone, as by redir 3.3; the start-up notice says they do nothing.
		{[]string{"-z", "8192", ":80", ":8080"}, shape(shapeConfig{WaitInOut: 3, Bufsize: 8192})},
		{[]string{"-o", "2", ":80", ":8080"}, shape(shapeConfig{WaitInOut: 2, Bufsize: 4096})},
	})
}

// TestParseBadShape covers the values the issue names and the bounds.
func TestParseBadShape(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"-m", "0", ":80", ":90"}, `invalid -m/--max-bandwidth "0": want 1-9223372036854775807`},
		{[]string{"-m", "-1", ":80", ":90"}, `invalid -m/--max-bandwidth "-1"`},
		{[]string{"-m", "1.5", ":80", ":90"}, `"1.5"`},
		{[]string{"-m", "1e6", ":80", ":90"}, `"1e6"`},
		{[]string{"-m", "99999999999999999999", ":80", ":90"}, `invalid -m/--max-bandwidth "99999999999999999999": want 1-9223372036854775807`},
		{[]string{"-o", "4", ":80", ":90"}, `invalid -o/--wait-in-out "4": want 1-3`},
		{[]string{"-o", "0", ":80", ":90"}, `invalid -o/--wait-in-out "0": want 1-3`},
		{[]string{"-o", "in", ":80", ":90"}, `"in"`},
		{[]string{"-z", "100", ":80", ":90"}, `invalid -z/--bufsize "100": want 256-16777216`},
		{[]string{"-z", "16777217", ":80", ":90"}, `-z/--bufsize "16777217"`},
		{[]string{"--bufsize=", ":80", ":90"}, `-z/--bufsize ""`},
		{[]string{"-w", "-1", ":80", ":90"}, `invalid -w/--random-wait "-1": want 0-3600000`},
		{[]string{"-w", "3600001", ":80", ":90"}, `"3600001"`},
		{[]string{"-m", "8000", "-w", "x", ":80", ":90"}, `-w/--random-wait "x"`},
	})
}

// TestShapeWrapNone checks that without -m and -w there is no wrapper, so
// the relay stays on the splice path, and that -o or -z alone say so.
func TestShapeWrapNone(t *testing.T) {
	tests := []struct {
		shape  shapeConfig
		notice bool
	}{
		{shapeConfig{}, false},
		{shapeConfig{WaitInOut: 3, Bufsize: 8192}, true},
		{shapeConfig{WaitInOut: 1, Bufsize: 4096}, true},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		f := &forward.Forwarder{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: levelNotice}))}
		if w := shapeWrap(config{Shape: tt.shape}, f); w != nil {
			t.Errorf("shapeWrap(%+v) is a wrapper, want nil", tt.shape)
		}
		if got := strings.Contains(logs.String(), "shape nothing without -m or -w"); got != tt.notice {
			t.Errorf("shapeWrap(%+v) logged %q; want a notice: %v", tt.shape, logs.String(), tt.notice)
		}
	}
}

// readsShaped says whether reads of c are cut to packets of 256 bytes
// when its peer writes 1000 at once (the first packet is not held).
func readsShaped(t *testing.T, c, peer net.Conn) bool {
	t.Helper()
	go peer.Write(make([]byte, 1000))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 2000))
	if err != nil {
		t.Fatal(err)
	}
	return n == 256
}

// TestShapeWrapDirections checks which conn each -o shapes: "in" is what
// the client receives, so the target's reads; "out" the client's reads.
func TestShapeWrapDirections(t *testing.T) {
	tests := []struct {
		o                int
		client, target   bool // shaped
		wantInNoticeText string
	}{
		{1, false, true, "towards the client"},
		{2, true, false, "towards the server"},
		{3, true, true, "both ways"},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		f := &forward.Forwarder{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: levelNotice}))}
		cfg := config{Shape: shapeConfig{MaxBandwidth: 8000, WaitInOut: tt.o, Bufsize: 256}}
		w := shapeWrap(cfg, f)
		if w == nil {
			t.Fatalf("-o %d: no wrapper", tt.o)
		}
		c1, c2 := net.Pipe()
		t1, t2 := net.Pipe()
		c, tg := w(forward.ConnInfo{ID: 1}, c1, t1)
		if cs, ts := readsShaped(t, c, c2), readsShaped(t, tg, t2); cs != tt.client || ts != tt.target {
			t.Errorf("-o %d: client's reads shaped %v, target's %v; want %v, %v", tt.o, cs, ts, tt.client, tt.target)
		}
		for _, x := range []net.Conn{c, tg, c2, t2} {
			x.Close()
		}
		want := "shaping " + tt.wantInNoticeText + ", each connection on its own: packets of at most 256 bytes, at most 8000 bit/s (bursts up to 266 bytes)"
		if !strings.Contains(logs.String(), want) {
			t.Errorf("-o %d: start-up notice %q, want it to contain %q", tt.o, logs.String(), want)
		}
	}
}

// TestShapeNoticeCapsPacket checks that the start-up notice gives the
// packet and the burst the copy buffer allows when -z asks for more.
func TestShapeNoticeCapsPacket(t *testing.T) {
	for _, tt := range []struct {
		bufsize int
		want    string
	}{
		{32768, "packets of at most 32768 bytes, at most 8000 bit/s (bursts up to 32778 bytes)"},
		{1 << 20, "packets of at most 32768 bytes (-z 1048576, but the copy buffer holds 32768), at most 8000 bit/s (bursts up to 32778 bytes)"},
	} {
		var logs bytes.Buffer
		f := &forward.Forwarder{Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: levelNotice}))}
		shapeWrap(config{Shape: shapeConfig{MaxBandwidth: 8000, WaitInOut: shapeBoth, Bufsize: tt.bufsize}}, f)
		if !strings.Contains(logs.String(), tt.want) {
			t.Errorf("-z %d: start-up notice %q, want it to contain %q", tt.bufsize, logs.String(), tt.want)
		}
	}
}
