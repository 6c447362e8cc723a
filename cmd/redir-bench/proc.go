package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// raiseNofile lifts this process's descriptor limit to at least want (the
// client ends of the idle connections) and returns the hard limit. It sets
// the soft limit to what forwarders run under even when it is high enough
// already: Go hands children the soft limit it found at its start unless
// the process sets one, and a forwarder that sizes itself at start
// (haproxy) must see its limit before prlimit sets it.
func raiseNofile(want uint64) (uint64, error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit: %w", err)
	}
	lim.Cur = max(want, min(childNofile, lim.Max))
	lim.Max = max(lim.Max, want)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("raising the open-file limit to %d (needs CAP_SYS_RESOURCE or a higher hard limit): %w", want, err)
	}
	return lim.Max, nil
}

// procUsage is what a process tree holds: resident memory and descriptors.
type procUsage struct {
	rssKiB int64
	fds    int64
}

// usage sums VmRSS and open descriptors over pid and its descendants (a
// forking forwarder serves from its children).
func usage(pid int) (procUsage, error) {
	var u procUsage
	for _, p := range append([]int{pid}, descendants(pid)...) {
		rss, err := vmRSS(p)
		if err != nil {
			return u, err
		}
		fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", p))
		if err != nil {
			return u, err
		}
		u.rssKiB += rss
		u.fds += int64(len(fds))
	}
	return u, nil
}

func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			f := strings.Fields(rest) // "1234 kB"
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}

// descendants lists the processes below pid, from each /proc/N/stat's ppid.
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	kids := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if pp, ok := parentOf(p); ok {
			kids[pp] = append(kids[pp], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 1<<20 {
		for _, k := range kids[queue[0]] {
			out = append(out, k)
			queue = append(queue, k)
		}
		queue = queue[1:]
	}
	return out
}

func parentOf(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// "pid (comm) state ppid ...": comm may hold blanks and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 2 {
		return 0, false
	}
	pp, err := strconv.Atoi(f[1])
	return pp, err == nil
}

// loadAverage is the first three fields of /proc/loadavg, for the header.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
