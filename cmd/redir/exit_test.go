package main

import (
	"net"
	"testing"
	"time"

	"github.com/redir-project/redir/activation"
	"github.com/redir-project/redir/forward"
)

func TestExitRuleFor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	one := activation.NewConnListener(c)
	t.Cleanup(func() { one.Close() })
	cfg := config{ExitIdleTime: time.Second}
	for _, tt := range []struct {
		lns  []net.Listener
		want exitRule
	}{
		{[]net.Listener{one}, exitRule{conns: 1, idle: time.Second}},
		{[]net.Listener{one, one}, exitRule{conns: 2, idle: time.Second}},
		{[]net.Listener{one, ln}, exitRule{idle: time.Second}},
		{[]net.Listener{ln}, exitRule{idle: time.Second}},
	} {
		if got := exitRuleFor(cfg, tt.lns); got != tt.want {
			t.Errorf("%d listeners: %+v, want %+v", len(tt.lns), got, tt.want)
		}
	}
}

func TestExitRuleDone(t *testing.T) {
	for _, tt := range []struct {
		rule exitRule
		st   forward.StatsSnapshot
		idle time.Duration
		want string
	}{
		{exitRule{conns: 1}, forward.StatsSnapshot{}, time.Hour, ""},                           // not accepted yet
		{exitRule{conns: 1}, forward.StatsSnapshot{Total: 1, Open: 1}, 0, ""},                  // being relayed
		{exitRule{conns: 1}, forward.StatsSnapshot{Total: 1}, 0, "connection done"},            // relayed
		{exitRule{conns: 2}, forward.StatsSnapshot{Total: 1}, 0, ""},                           // one to go
		{exitRule{idle: time.Second}, forward.StatsSnapshot{Total: 5, Open: 1}, time.Hour, ""}, // open, however long
		{exitRule{idle: time.Second}, forward.StatsSnapshot{}, 999 * time.Millisecond, ""},
		{exitRule{idle: time.Second}, forward.StatsSnapshot{}, time.Second, "no connection for 1s"},
		{exitRule{}, forward.StatsSnapshot{Total: 3}, time.Hour, ""},
	} {
		if got, _ := tt.rule.done(tt.st, tt.idle); got != tt.want {
			t.Errorf("%+v with %+v, idle %v: %q, want %q", tt.rule, tt.st, tt.idle, got, tt.want)
		}
	}
}
