package forward

import "golang.org/x/sys/unix"

// filesConnLimit is how many connections fit under the open-file limit:
// each holds two sockets, and a reserve is kept for the listeners, the
// relay loops (an epoll and an eventfd each, and their pipes), the
// runtime and the log. Holding connections to it means a client that is
// accepted also gets its dial: at the limit, new clients wait in the
// backlog instead of being accepted and then dropped. Zero means no limit
// could be read.
func filesConnLimit(listeners int) int {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 0
	}
	reserve := 16 + listeners + loopCount()*(2+2*maxPipes)
	n := (int64(rl.Cur) - int64(reserve)) / 2
	if n > 1<<30 {
		return 1 << 30
	}
	return int(max(n, 1))
}
