package main

import "testing"

func TestShapeNotSupported(t *testing.T) {
	checkNotSupported(t, []badCase{
		{[]string{"-m", "100000", ":80", ":90"}, "-m/--max-bandwidth"},
		{[]string{"--max_bandwidth=100000", ":80", ":90"}, "-m/--max-bandwidth"},
		{[]string{"-o", "3", ":80", ":90"}, "-o/--wait-in-out"},
		{[]string{"-w", "0", ":80", ":90"}, "-w/--random-wait"},
		{[]string{"-z", "256", ":80", ":90"}, "-z/--bufsize"},
	})
}
