// Command redir-bench measures a forwarder (bin/redir by default) against a
// direct connection on loopback, in the same run: bulk throughput with 1 and
// 4 streams, short connections per second, 64-byte round-trip latency, and
// memory and file descriptors per idle connection. It prints the absolute
// figures, the ratio to direct and the targets of issue #2 with pass/fail.
//
// The backends (discard, echo, request/reply) are this program too, re-run
// as a second process and listening on 127.0.0.1; each forwarder is started
// as a child per measurement and killed after it. It is a benchmark, not a
// test: run it on a quiet machine.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"
)

// options is the parsed command line; main hands it down, nothing global.
type options struct {
	redir        string          // path of the redir binary
	compare      []string        // command templates of other forwarders
	compareNames []string        // a column title for each of compare
	peers        bool            // also measure the standard peers installed
	bulkTime     time.Duration   // measuring window of each bulk and rate run
	samples      int             // round trips per latency run
	conns        int             // idle connections to open
	rounds       int             // runs of each measurement; the best is kept
	only         map[string]bool // measurements to run; nil for all
}

// measurements are the names -only takes, in the order they run.
var measurements = []string{"bulk1", "bulk4", "rate", "rtt", "rtt1cpu", "idle"}

func (o options) selected(key string) bool { return o.only == nil || o.only[key] }

func parseOnly(list string) (map[string]bool, error) {
	if list == "" {
		return nil, nil
	}
	only := map[string]bool{}
	for _, k := range strings.Split(list, ",") {
		if !slices.Contains(measurements, k) {
			return nil, fmt.Errorf("-only: unknown measurement %q (want some of %s)", k, strings.Join(measurements, ","))
		}
		only[k] = true
	}
	return only, nil
}

func parseOptions(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("redir-bench", flag.ContinueOnError)
	fs.StringVar(&o.redir, "redir", "bin/redir", "redir binary to measure")
	fs.Func("compare", "also measure this forwarder command, in a column of its own; may be given several times; the first %d is\n"+
		"its listen port, the second the backend port (e.g. 'socat TCP-LISTEN:%d,fork,reuseaddr TCP:127.0.0.1:%d')",
		func(v string) error { o.compare = append(o.compare, v); return nil })
	fs.Func("compare-name", "column title for the -compare of the same rank (default: its command's base name)",
		func(v string) error { o.compareNames = append(o.compareNames, v); return nil })
	fs.BoolVar(&o.peers, "peers", false, "also measure the standard peers where installed: haproxy, systemd-socket-proxyd, rinetd, socat")
	quick := fs.Bool("quick", false, "short runs for development: 1s windows, 3,000 round trips, 2,000 idle connections, one round")
	fs.DurationVar(&o.bulkTime, "time", 3*time.Second, "measuring window of each throughput and connection-rate run")
	fs.IntVar(&o.samples, "samples", 20000, "round trips per latency run")
	fs.IntVar(&o.conns, "conns", 10000, "idle connections to open through the forwarder")
	fs.IntVar(&o.rounds, "rounds", 2, "runs of each measurement, alternating direct and forwarders; the best is kept")
	only := fs.String("only", "", "run only these measurements, comma-separated: "+strings.Join(measurements, ","))
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	var err error
	if o.only, err = parseOnly(*only); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *quick {
		quickDefaults(fs, &o)
	}
	if err := nameCompares(&o); err != nil {
		return o, err
	}
	if o.bulkTime <= 0 || o.samples < 100 || o.conns < 1 || o.rounds < 1 {
		return o, fmt.Errorf("-time, -samples (≥ 100), -conns and -rounds must be positive")
	}
	return o, nil
}

// nameCompares checks each -compare and gives it a column title, unique
// among them and redir.
func nameCompares(o *options) error {
	if len(o.compareNames) > len(o.compare) {
		return fmt.Errorf("%d -compare-name for %d -compare", len(o.compareNames), len(o.compare))
	}
	used := map[string]bool{"redir": true}
	if o.peers {
		for _, n := range peerNames {
			used[n] = true
		}
	}
	for i, c := range o.compare {
		if strings.Count(c, "%d") != 2 {
			return fmt.Errorf("-compare %q: want exactly two %%d (listen port, backend port)", c)
		}
		if i == len(o.compareNames) {
			o.compareNames = append(o.compareNames, compareName(c))
		}
		name := o.compareNames[i]
		for n := 2; used[o.compareNames[i]] && n < 100; n++ {
			o.compareNames[i] = fmt.Sprintf("%s-%d", name, n)
		}
		used[o.compareNames[i]] = true
	}
	return nil
}

// quickDefaults shortens the runs for -quick, except where a flag was given.
func quickDefaults(fs *flag.FlagSet, o *options) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["time"] {
		o.bulkTime = time.Second
	}
	if !set["samples"] {
		o.samples = 3000
	}
	if !set["conns"] {
		o.conns = 2000
	}
	if !set["rounds"] {
		o.rounds = 1
	}
}

func main() {
	if len(os.Args) == 2 && os.Args[1] == helperArg {
		if err := serveBackends(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "redir-bench backends:", err)
			os.Exit(1)
		}
		return
	}
	o, err := parseOptions(os.Args[1:])
	if err == flag.ErrHelp {
		return
	}
	if err == nil {
		err = run(o, os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "redir-bench:", err)
		os.Exit(1)
	}
}

// run measures everything and prints the table to out, progress to log.
func run(o options, out, log io.Writer) error {
	load := loadAverage()
	hard, err := raiseNofile(uint64(o.conns + 1000))
	if err != nil {
		return err
	}
	nofile := min(childNofile, hard)
	b, err := startBackends()
	if err != nil {
		return err
	}
	defer b.close()
	dir, err := os.MkdirTemp("", "redir-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fws, notes := forwarders(o, nofile, dir)
	s := &suite{fws: fws, rounds: o.rounds, log: log, notes: notes}
	if nofile < childNofile && o.selected("idle") {
		s.notes = append(s.notes, fmt.Sprintf("the hard open-file limit here is %d, so forwarders ran with %d descriptors, not %d;"+
			" \"held\" is judged against (%d - %d spare) / 2", hard, nofile, childNofile, nofile, restFds))
	}
	for _, g := range groups(o, b, nofile) {
		if o.selected(g.key) {
			s.run(g)
		}
	}
	s.notePlacement()
	printHeader(out, o, fws, load)
	printTable(out, s)
	printPeers(out, s, fws)
	printNotes(out, s)
	return nil
}
