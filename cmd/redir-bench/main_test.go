package main

import (
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestParseCompareSeveral(t *testing.T) {
	o, err := parseOptions([]string{
		"-compare", "/usr/bin/socat TCP-LISTEN:%d,fork TCP:127.0.0.1:%d",
		"-compare", "socat TCP-LISTEN:%d TCP:127.0.0.1:%d",
		"-compare", "gofwd %d %d", "-compare-name", "first",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"first", "socat", "gofwd"}; !slices.Equal(o.compareNames, want) {
		t.Errorf("names %q, want %q", o.compareNames, want)
	}
	if len(o.compare) != 3 {
		t.Errorf("%d commands, want 3", len(o.compare))
	}
	fws, notes := forwarders(o, 100, t.TempDir())
	if len(fws) != 4 || fws[0].name != "redir" || fws[3].name != "gofwd" || len(notes) != 0 {
		t.Errorf("forwarders %v, notes %q", fws, notes)
	}
	argv, err := fws[3].argv(1000, 2000)
	if err != nil || !slices.Equal(argv, []string{"gofwd", "1000", "2000"}) {
		t.Errorf("argv %q, %v", argv, err)
	}
	if fws[3].shown != "gofwd PORT BACKEND" {
		t.Errorf("shown %q", fws[3].shown)
	}
}

func TestParseCompareNamesUnique(t *testing.T) {
	o, err := parseOptions([]string{"-peers", "-compare", "haproxy %d %d", "-compare", "haproxy -x %d %d", "-compare", "redir %d %d"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"haproxy-2", "haproxy-3", "redir-2"}; !slices.Equal(o.compareNames, want) {
		t.Errorf("names %q, want %q", o.compareNames, want)
	}
}

func TestParseCompareErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-compare", "socat TCP-LISTEN:%d"},
		{"-compare", "fwd %d %d %d"},
		{"-compare", "fwd %d %d", "-compare-name", "a", "-compare-name", "b"},
	} {
		if _, err := parseOptions(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestHaproxyConfig(t *testing.T) {
	cfg := haproxyConfig(9000, 1234, 5678)
	for _, want := range []string{"\tmaxconn 9000\n", "\tmode tcp\n", "\tbind 127.0.0.1:1234\n", "\tserver target 127.0.0.1:5678\n"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("config lacks %q:\n%s", want, cfg)
		}
	}
	if !strings.HasPrefix(cfg, "global\n\tmaxconn 9000\n") {
		t.Errorf("global maxconn is not first:\n%s", cfg)
	}
}

// TestBestOther checks which column the comparison picks: the best figure
// among the forwarders after redir, by the row's sense of better.
func TestBestOther(t *testing.T) {
	nan := math.NaN()
	higher := &row{goal: &goal{ratio: true}, vals: []float64{100, 50, 40, nan, 60}}
	if c := higher.bestOther(); c != 4 {
		t.Errorf("higher is better: column %d, want 4", c)
	}
	if s := standing(higher, 4); s[1] != "behind" || s[0] != "0.83" {
		t.Errorf("standing %q", s)
	}
	lower := &row{lower: true, goal: &goal{atMost: true, limit: 4}, vals: []float64{nan, 1.0, 3.3, 0.98, nan}}
	if c := lower.bestOther(); c != 3 {
		t.Errorf("lower is better: column %d, want 3", c)
	}
	if s := standing(lower, 3); s[1] != "level" {
		t.Errorf("1.0 against 0.98: %q, want level", s)
	}
	none := &row{goal: &goal{ratio: true}, vals: []float64{100, 50, nan}}
	if c := none.bestOther(); c != 0 {
		t.Errorf("no other figure: column %d, want 0", c)
	}
}

// TestSpreadNote checks that rounds far apart are reported, and close
// ones are not.
func TestSpreadNote(t *testing.T) {
	r := &row{name: "64-byte round trip p50", unit: "µs", lower: true, goal: &goal{atMost: true, limit: 1.7, ratio: true},
		vals: []float64{math.NaN(), math.NaN()}, worst: []float64{math.NaN(), math.NaN()}}
	for _, v := range [][2]float64{{20, 50}, {80, 55}} {
		r.keep(0, v[0])
		r.keep(1, v[1])
	}
	if r.vals[0] != 20 || r.worst[0] != 80 || r.vals[1] != 50 || r.worst[1] != 55 {
		t.Fatalf("best %v, worst %v", r.vals, r.worst)
	}
	unmeasured := &row{name: "memory per idle connection", unit: "KiB", goal: &goal{atMost: true, limit: 4},
		vals: []float64{math.NaN(), 1}, worst: []float64{math.NaN(), 1}}
	s := &suite{fws: []forwarder{{name: "redir"}}}
	s.noteSpread(&group{rows: []*row{r, unmeasured}})
	want := "64-byte round trip p50, direct: its rounds ranged from 20.0 µs to 80.0 µs; the table shows the best"
	if !slices.Equal(s.notes, []string{want}) {
		t.Errorf("notes %q, want [%q]", s.notes, want)
	}
}

// TestPinProcesses pins this process to one CPU and back, and passes over
// a process that no longer exists (a forking forwarder's finished child).
func TestPinProcesses(t *testing.T) {
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	p, err := pinProcesses(os.Getpid(), cmd.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	var now unix.CPUSet
	if err := unix.SchedGetaffinity(0, &now); err != nil || now.Count() != 1 {
		p.restore()
		t.Fatalf("pinned: %d CPUs, %v", now.Count(), err)
	}
	p.restore()
	if err := unix.SchedGetaffinity(0, &now); err != nil || now != before {
		t.Errorf("restored: %d CPUs, want %d, %v", now.Count(), before.Count(), err)
	}
}

// TestPlacementNote checks the warning that the free round trip of direct
// ran on two CPUs in every round.
func TestPlacementNote(t *testing.T) {
	for _, c := range []struct {
		free float64
		want int
	}{{80, 1}, {22, 0}, {math.NaN(), 0}} {
		s := &suite{groups: []*group{
			{key: "rtt", rows: []*row{{vals: []float64{c.free, 100}}}},
			{key: "rtt1cpu", rows: []*row{{vals: []float64{21, 60}}}},
		}}
		s.notePlacement()
		if len(s.notes) != c.want {
			t.Errorf("free %v µs, one CPU 21 µs: notes %q, want %d", c.free, s.notes, c.want)
		}
	}
}
