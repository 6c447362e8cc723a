package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// On these VMs a process woken on the other CPU costs far more than one
// woken on its own (an idle vCPU halts, and waking it goes through the
// hypervisor), and the scheduler decides which it is: the round trip of
// the same direct connection reads 20 µs in one run and 80 µs in the next.
// The one-CPU round trip pins the client, the backends and the forwarder to
// one CPU, which leaves what the forwarder itself costs per round trip.

// pinned is a set of processes whose threads were moved to one CPU, with
// each one's former mask.
type pinned struct {
	pids []int
	was  []unix.CPUSet
}

// pinProcesses moves every thread of each pid to the first CPU this
// process may run on. Threads they start later inherit the mask.
func pinProcesses(pids ...int) (*pinned, error) {
	var all, one unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	for cpu := 0; cpu < len(all)*64; cpu++ {
		if all.IsSet(cpu) {
			one.Set(cpu)
			break
		}
	}
	p := &pinned{}
	for _, pid := range pids {
		var was unix.CPUSet
		err := unix.SchedGetaffinity(pid, &was)
		if errors.Is(err, unix.ESRCH) {
			continue // a forking forwarder's child that has finished
		}
		if err != nil {
			p.restore()
			return nil, fmt.Errorf("sched_getaffinity %d: %w", pid, err)
		}
		p.pids, p.was = append(p.pids, pid), append(p.was, was)
		if err := setThreads(pid, &one); err != nil {
			p.restore()
			return nil, err
		}
	}
	return p, nil
}

// restore gives every thread of each process, those started since
// included, the mask its main thread had before.
func (p *pinned) restore() {
	for i, pid := range p.pids {
		setThreads(pid, &p.was[i])
	}
}

// setThreads sets the mask of each thread of pid; a thread or process
// that ended on the way is no error.
func setThreads(pid int, set *unix.CPUSet) error {
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if errors.Is(err, os.ErrNotExist) {
		return nil // it has ended
	}
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, set); err != nil && !errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("sched_setaffinity %d: %w", tid, err)
		}
	}
	return nil
}

// notePlacement warns when direct's free round trip is well above its
// one-CPU one: the scheduler kept client and backend on different CPUs in
// every round, and the free ratios compare placements more than forwarders.
func (s *suite) notePlacement() {
	var free, one float64 = math.NaN(), math.NaN()
	for _, g := range s.groups {
		switch g.key {
		case "rtt":
			free = g.rows[0].vals[0]
		case "rtt1cpu":
			one = g.rows[0].vals[0]
		}
	}
	if free/one > spread {
		s.note(fmt.Sprintf("direct's best free round trip (%s) is %.1f× its one-CPU round trip: the free p50 ratios,"+
			" and their verdict, say more about where the scheduler put each process than about the forwarders (BENCHMARKS.md)",
			formatValue(free, "µs"), free/one))
	}
}
