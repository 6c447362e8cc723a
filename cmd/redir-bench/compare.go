package main

import (
	"fmt"
	"io"
	"math"
)

// level is how close two figures must be (as a fraction) to be called
// level: well inside this machine's run-to-run noise.
const level = 0.05

// figure is what a goal judges in column col: the ratio to direct or the
// figure itself.
func (r *row) figure(col int) float64 {
	if r.goal != nil && r.goal.ratio {
		return r.ratio(col)
	}
	return r.vals[col]
}

// better says whether a beats b on r (a NaN never does).
func (r *row) better(a, b float64) bool {
	switch {
	case math.IsNaN(a):
		return false
	case math.IsNaN(b):
		return true
	case r.lower:
		return a < b
	}
	return a > b
}

// bestOther is the column, among the forwarders after redir, with the best
// figure on r; 0 when none has one.
func (r *row) bestOther() int {
	best, fig := 0, math.NaN()
	for col := 2; col < len(r.vals); col++ {
		if f := r.figure(col); r.better(f, fig) {
			best, fig = col, f
		}
	}
	return best
}

// formatFigure prints what a goal judges, as the table does.
func formatFigure(r *row, col int) string {
	if r.goal.ratio {
		return formatRatio(r, col)
	}
	return formatValue(r.vals[col], r.unit)
}

// standing says how redir's figure compares with column col's.
func standing(r *row, col int) []string {
	a, b := r.figure(1), r.figure(col)
	q := a / b
	switch {
	case math.IsNaN(q) || math.IsInf(q, 0):
		return []string{"—", ""}
	case math.Abs(q-1) <= level:
		return []string{fmt.Sprintf("%.2f", q), "level"}
	case r.better(a, b):
		return []string{fmt.Sprintf("%.2f", q), "ahead"}
	}
	return []string{fmt.Sprintf("%.2f", q), "behind"}
}

// printPeers prints a line per target: redir's figure beside the best of
// the other forwarders measured in the same run, and issue #2's anchor for
// that forwarder where the issue gives one.
func printPeers(out io.Writer, s *suite, fws []forwarder) {
	if len(fws) < 2 {
		return
	}
	lines := [][]string{{"target", "redir", "best other", "its figure", "issue anchor", "redir ÷ it", ""}}
	for _, g := range s.groups {
		for _, r := range g.rows {
			if r.goal == nil {
				continue
			}
			cells := []string{r.name + " " + r.goal.describe(r.unit), formatFigure(r, 1)}
			col := r.bestOther()
			if col == 0 {
				lines = append(lines, append(cells, "none measured"))
				continue
			}
			anchor := r.goal.anchors[fws[col-1].name]
			if anchor == "" {
				anchor = "—"
			}
			cells = append(cells, fws[col-1].name, formatFigure(r, col), anchor)
			lines = append(lines, append(cells, standing(r, col)...))
		}
	}
	fmt.Fprintln(out, "\nredir against the best other forwarder in the same run (ratios to direct, or per-connection figures):")
	writeColumns(out, lines)
}
