// Command redir is a TCP port redirector: it listens on [SRC]:PORT and
// relays every connection, byte for byte, to [DST]:PORT.
//
// Without -n it goes to the background like redir 3.3, but only once its
// sockets are bound: the command exits 0 when the daemon is serving, and
// non-zero with the error on stderr when it is not. SIGTERM and SIGINT stop
// it gracefully (stop accepting, let open connections drain for up to
// --drain-timeout); SIGHUP is logged and ignored.
//
// Exit status: 0 success, 1 runtime error (bind failed, daemon not ready),
// 2 usage error.
package main

import (
	"os"
	"runtime"
)

func main() {
	// The relay's loops block in epoll_wait, one per two Ps: doubling the
	// Ps keeps a CPU's worth of them for everything else (see forward).
	runtime.GOMAXPROCS(2 * runtime.GOMAXPROCS(0))
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}
