package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os/exec"
	"runtime"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// A row is one line of the table: a figure for direct and each forwarder.
type row struct {
	name  string
	unit  string
	lower bool      // lower is better; it decides which round is kept
	goal  *goal     // nil: no target
	vals  []float64 // [0] direct, [1+i] forwarder i; NaN: not measured
	worst []float64 // the worst round of each column
}

// keep stores v in column col unless an earlier round did better, and
// notes the worst round.
func (r *row) keep(col int, v float64) {
	if old := r.vals[col]; math.IsNaN(old) || (r.lower && v < old) || (!r.lower && v > old) {
		r.vals[col] = v
	}
	if old := r.worst[col]; math.IsNaN(old) || (r.lower && v > old) || (!r.lower && v < old) {
		r.worst[col] = v
	}
}

// ratio is forwarder col over direct, NaN when either is missing.
func (r *row) ratio(col int) float64 { return r.vals[col] / r.vals[0] }

// A goal is a target of issue #2 for the first forwarder (redir).
type goal struct {
	atMost bool // the figure must be at most limit; else at least
	limit  float64
	ratio  bool // judged on the ratio to direct; else on the figure
	// anchors are issue #2's figures for peers, by column title; they were
	// measured in another setup (see BENCHMARKS.md).
	anchors map[string]string
}

func (g *goal) describe(unit string) string {
	op := "≥"
	if g.atMost {
		op = "≤"
	}
	if !g.ratio {
		return strings.TrimSpace(fmt.Sprintf("%s %g %s", op, g.limit, unit))
	}
	if g.atMost {
		return fmt.Sprintf("%s %g×", op, g.limit)
	}
	return fmt.Sprintf("%s %g", op, g.limit)
}

// verdict judges the figure as printed, so that "2.00" is never a FAIL
// against "≤ 2" because of one descriptor the process holds regardless.
func (g *goal) verdict(r *row) string {
	v := r.vals[1]
	if g.ratio {
		v = r.ratio(1)
	}
	v = rounded(v)
	switch {
	case math.IsNaN(v):
		return "no figure"
	case g.atMost && v <= g.limit, !g.atMost && v >= g.limit:
		return "pass"
	}
	return "FAIL"
}

// decimals is how many digits after the point a figure is printed with:
// three significant ones, at least.
func decimals(v float64) int {
	switch {
	case math.Abs(v) >= 100:
		return 0
	case math.Abs(v) >= 10:
		return 1
	}
	return 2
}

func rounded(v float64) float64 {
	p := math.Pow10(decimals(v))
	return math.Round(v*p) / p
}

func formatValue(v float64, unit string) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strings.TrimSpace(fmt.Sprintf("%.*f %s", decimals(v), v, unit))
}

func formatRatio(r *row, col int) string {
	q := r.ratio(col)
	switch {
	case math.IsNaN(q):
		return ""
	case r.lower:
		return fmt.Sprintf("%.2f×", q)
	}
	return fmt.Sprintf("%.2f", q)
}

func printTable(out io.Writer, s *suite) {
	head := []string{"measurement", "direct"}
	for _, fw := range s.fws {
		head = append(head, fw.name, "ratio")
	}
	lines := [][]string{append(head, "target", "result")}
	for _, g := range s.groups {
		for _, r := range g.rows {
			cells := []string{r.name, formatValue(r.vals[0], r.unit)}
			for i := range s.fws {
				cells = append(cells, formatValue(r.vals[i+1], r.unit), formatRatio(r, i+1))
			}
			target, result := "", ""
			if r.goal != nil {
				target, result = r.goal.describe(r.unit), r.goal.verdict(r)
			}
			lines = append(lines, append(cells, target, result))
		}
	}
	writeColumns(out, lines)
}

func printNotes(out io.Writer, s *suite) {
	for _, n := range s.notes {
		fmt.Fprintln(out, "note:", n)
	}
}

func printHeader(out io.Writer, o options, fws []forwarder, load string) {
	var u unix.Utsname
	unix.Uname(&u)
	fmt.Fprintf(out, "redir-bench %s, Linux %s %s, %d CPUs, %s, load average at start %s\n",
		time.Now().UTC().Format("2006-01-02 15:04 MST"), unix.ByteSliceToString(u.Release[:]),
		unix.ByteSliceToString(u.Machine[:]), runtime.NumCPU(), runtime.Version(), load)
	for _, fw := range fws {
		fmt.Fprintf(out, "%s: %s, open-file limit %d%s\n", fw.name, fw.shown, fw.nofile, version(fw))
	}
	fmt.Fprintf(out, "runs: %v windows (after warm-up) for throughput and rate, %d round trips, %d idle connections, best of %d\n\n",
		o.bulkTime, o.samples, o.conns, o.rounds)
}

// version is what fw's version command prints, for the header: its first
// line that says "version", else its first line.
func version(fw forwarder) string {
	if len(fw.version) == 0 {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	b, err := exec.CommandContext(ctx, fw.version[0], fw.version[1:]...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if err != nil || lines[0] == "" {
		return ""
	}
	line := lines[0]
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l), "version") {
			line = l
			break
		}
	}
	line, _, _ = strings.Cut(strings.TrimSpace(line), " - ") // haproxy's URL
	return "  (" + line + ")"
}

// writeColumns prints lines as columns: the first left-aligned, the others
// right-aligned, two blanks apart.
func writeColumns(out io.Writer, lines [][]string) {
	var width []int
	for _, l := range lines {
		for i, c := range l {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, l := range lines {
		var b strings.Builder
		for i, c := range l {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(out, strings.TrimRight(b.String(), " "))
	}
}
