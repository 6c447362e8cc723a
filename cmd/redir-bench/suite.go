package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"strings"
	"time"
)

// endpoint is where a measurement connects: a backend itself (child nil) or
// a forwarder in front of it.
type endpoint struct {
	addr  *net.TCPAddr
	child *child
}

// outcome is one run of a measurement: a figure per row of its group.
type outcome struct {
	v    []float64
	note string
}

// A group is one measurement and the rows of the table it fills.
type group struct {
	key     string // its name for -only
	title   string
	backend *net.TCPAddr
	direct  bool // also measured without a forwarder
	rows    []*row
	measure func(endpoint) (outcome, error)
}

func groups(o options, b *backends, nofile uint64) []*group {
	bulkRun := func(streams int) func(endpoint) (outcome, error) {
		return func(ep endpoint) (outcome, error) {
			v, err := bulk(ep.addr, streams, o.bulkTime, b.received)
			return outcome{v: []float64{v}}, err
		}
	}
	return []*group{
		{key: "bulk1", title: "bulk, 1 stream", backend: b.discard, direct: true, measure: bulkRun(1),
			rows: []*row{{name: "bulk throughput, 1 stream", unit: "MB/s", goal: &goal{limit: 0.75, ratio: true,
				anchors: map[string]string{"socket-proxyd": "0.69", "haproxy": "0.36–0.41"}}}}},
		{key: "bulk4", title: "bulk, 4 streams", backend: b.discard, direct: true, measure: bulkRun(4),
			rows: []*row{{name: "bulk throughput, 4 streams", unit: "MB/s", goal: &goal{limit: 0.65, ratio: true,
				anchors: map[string]string{"haproxy": "0.58"}}}}},
		{key: "rate", title: "short conns", backend: b.reply, direct: true,
			rows: []*row{{name: "short connections", unit: "/s", goal: &goal{limit: 0.75, ratio: true,
				anchors: map[string]string{"rinetd": "0.72", "haproxy": "0.70"}}}},
			measure: func(ep endpoint) (outcome, error) {
				v, err := connRate(ep.addr, o.bulkTime)
				return outcome{v: []float64{v}}, err
			}},
		rttGroup(o, b, false),
		rttGroup(o, b, true),
		idleGroup(o, b, nofile),
	}
}

// rttGroup measures 64-byte round trips; with oneCPU, with the client, the
// backends and the forwarder on one CPU (see pin.go). The target is judged
// on the round trip as the scheduler places it, as issue #2 measured it.
func rttGroup(o options, b *backends, oneCPU bool) *group {
	g := &group{key: "rtt", title: "round trip", backend: b.echo, direct: true,
		rows: []*row{
			{name: "64-byte round trip p50", unit: "µs", lower: true, goal: &goal{atMost: true, limit: 1.7, ratio: true,
				anchors: map[string]string{"haproxy": "2.7×"}}},
			{name: "64-byte round trip p99", unit: "µs", lower: true},
		}}
	if oneCPU {
		g.key, g.title = "rtt1cpu", "rtt, one CPU"
		g.rows = []*row{
			{name: "64-byte round trip p50, one CPU", unit: "µs", lower: true},
			{name: "64-byte round trip p99, one CPU", unit: "µs", lower: true},
		}
	}
	g.measure = func(ep endpoint) (outcome, error) {
		if oneCPU {
			pids := []int{os.Getpid(), b.cmd.Process.Pid}
			if ep.child != nil {
				pids = append(append(pids, ep.child.pid()), descendants(ep.child.pid())...)
			}
			p, err := pinProcesses(pids...)
			if err != nil {
				return outcome{}, err
			}
			defer p.restore()
		}
		p50, p99, err := roundTrips(ep.addr, o.samples, 30*time.Second)
		return outcome{v: []float64{p50, p99}}, err
	}
	return g
}

// idleGroup measures redir's cost per idle connection. It holds all of
// o.conns only if they fit in two descriptors each under nofile.
func idleGroup(o options, b *backends, nofile uint64) *group {
	fit := max(0, min(o.conns, (int(nofile)-restFds)/2))
	return &group{key: "idle", title: "idle conns", backend: b.echo,
		rows: []*row{
			{name: "memory per idle connection", unit: "KiB", lower: true, goal: &goal{atMost: true, limit: 4,
				anchors: map[string]string{"haproxy": "3.3 KiB", "rinetd": "8.4 KiB"}}},
			{name: "descriptors per idle connection", unit: "", lower: true, goal: &goal{atMost: true, limit: 2}},
			{name: fmt.Sprintf("idle connections held (of %d)", o.conns), unit: "", goal: &goal{limit: float64(fit)}},
		},
		measure: func(ep endpoint) (outcome, error) {
			r, err := idleCost(ep.child, o.conns)
			out := outcome{v: []float64{r.kib, r.fds, float64(r.held)}}
			if err == nil && r.held < o.conns {
				out.note = fmt.Sprintf("held %d of %d connections; the next failed: %v", r.held, o.conns, r.lastErr)
			}
			return out, err
		}}
}

// A suite runs groups against direct and each forwarder, keeping the best
// figure of its rounds and a note for every error.
type suite struct {
	fws    []forwarder
	rounds int
	log    io.Writer
	groups []*group
	notes  []string
}

func (s *suite) run(g *group) {
	s.groups = append(s.groups, g)
	for _, r := range g.rows {
		r.vals, r.worst = make([]float64, 1+len(s.fws)), make([]float64, 1+len(s.fws))
		for i := range r.vals {
			r.vals[i], r.worst[i] = math.NaN(), math.NaN()
		}
	}
	defer s.noteSpread(g)
	for range s.rounds {
		if g.direct {
			out, err := g.measure(endpoint{addr: g.backend})
			s.record(g, 0, "direct", out, err)
		}
		for i, fw := range s.fws {
			if why, ok := fw.skip[g.key]; ok {
				s.note(fmt.Sprintf("%s, %s: skipped: %s", g.title, fw.name, why))
				continue
			}
			out, err := through(fw, g)
			s.record(g, i+1, fw.name, out, err)
		}
	}
}

// through measures g with fw started in front of g's backend.
func through(fw forwarder, g *group) (outcome, error) {
	ch, err := fw.start(g.backend)
	if err != nil {
		return outcome{}, err
	}
	defer ch.stop()
	out, err := g.measure(endpoint{addr: ch.addr, child: ch})
	if aerr := ch.alive(); aerr != nil {
		return outcome{}, errors.Join(aerr, err)
	}
	return out, err
}

func (s *suite) record(g *group, col int, who string, out outcome, err error) {
	if err != nil {
		s.note(fmt.Sprintf("%s, %s: %v", g.title, who, err))
		fmt.Fprintf(s.log, "%-16s %-13s error: %v\n", g.title, who, err)
		return
	}
	if out.note != "" {
		s.note(fmt.Sprintf("%s, %s: %s", g.title, who, out.note))
	}
	figs := make([]string, len(g.rows))
	for j, r := range g.rows {
		r.keep(col, out.v[j])
		figs[j] = formatValue(out.v[j], r.unit)
	}
	fmt.Fprintf(s.log, "%-16s %-13s %s\n", g.title, who, strings.Join(figs, "  "))
}

// note keeps a line for under the table, once however many rounds say it.
func (s *suite) note(n string) {
	if !slices.Contains(s.notes, n) {
		s.notes = append(s.notes, n)
	}
}

// spread is how far apart the rounds of one column may be before a note
// says so: beyond it the best figure says more about the machine (on these
// VMs, mostly which CPU the scheduler wakes each process on) than about
// the forwarder.
const spread = 1.5

// noteSpread adds a note for each figure whose rounds differ by more than
// spread.
func (s *suite) noteSpread(g *group) {
	for _, r := range g.rows {
		for col, best := range r.vals {
			lo, hi := min(best, r.worst[col]), max(best, r.worst[col])
			if math.IsNaN(lo) || hi/lo <= spread || r.goal == nil || r.unit == "" {
				continue
			}
			who := "direct"
			if col > 0 {
				who = s.fws[col-1].name
			}
			s.note(fmt.Sprintf("%s, %s: its rounds ranged from %s to %s; the table shows the best",
				r.name, who, formatValue(lo, r.unit), formatValue(hi, r.unit)))
		}
	}
}
