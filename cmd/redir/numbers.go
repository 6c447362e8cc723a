package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseSeconds reads a non-negative number of seconds, with an optional
// decimal fraction ("1.5"); def is the value when the option is absent.
func parseSeconds(a optArg, name string, def time.Duration) (time.Duration, error) {
	if !a.set {
		return def, nil
	}
	ok := a.val != "" && a.val != "." && strings.Trim(a.val, "0123456789.") == "" &&
		strings.Count(a.val, ".") <= 1
	d, err := time.ParseDuration(a.val + "s")
	if !ok || err != nil {
		return 0, fmt.Errorf("invalid %s %q: want a non-negative number of seconds", name, a.val)
	}
	return d, nil
}

// parseInt reads a whole number from lo to hi; absent means lo.
func parseInt(a optArg, name string, lo, hi int) (int, error) {
	if !a.set {
		return lo, nil
	}
	n, err := strconv.Atoi(a.val)
	if err == nil && n >= lo && n <= hi {
		return n, nil
	}
	return 0, fmt.Errorf("invalid %s %q: want %d-%d", name, a.val, lo, hi)
}
