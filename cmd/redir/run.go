package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/redir-project/redir/activation"
	"github.com/redir-project/redir/forward"
)

// Exit statuses.
const (
	exitOK    = 0
	exitError = 1 // a runtime error: bind failed, the daemon did not start
	exitUsage = 2 // a bad command line
)

// run is the whole program but for os.Exit: argv is the full command line,
// argv[0] first. It returns the exit status. Errors the user must see are
// one line, "redir: ...", on stderr.
func run(argv []string, stdout, stderr io.Writer) int {
	stdout, stderr = guardStdio(stdout, stderr)
	child, err := daemonChildFromEnv(os.Getenv(daemonEnv), os.Getppid())
	if err != nil {
		fmt.Fprintf(stderr, "redir: %v\n", err)
		return exitError
	}
	if child != nil {
		return runDaemonChild(argv, child)
	}
	cfg, done, err := parseCommandLine(argv[1:], stdout, activation.Activated())
	if err != nil {
		fmt.Fprintf(stderr, "redir: %v\n", err)
		return exitUsage
	}
	if done {
		return exitOK
	}
	if err := runParent(argv, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "redir: %v\n", locate(cfg.FileLines, err))
		return exitError
	}
	return exitOK
}

// runParent binds the sockets, then serves them in the foreground (-n) or
// hands them to a background child and returns once it is ready. Sockets
// inherited from inetd (-i) or systemd are served in the foreground.
func runParent(argv []string, cfg config, stderr io.Writer) error {
	if cfg.Inetd || cfg.Activated {
		return runInherited(cfg, stderr)
	}
	if err := startChecks(cfg); err != nil {
		return err
	}
	local, err := bindAddr(cfg.Bind)
	if err != nil {
		return err
	}
	lns, err := listenAll(cfg.Listen)
	if err != nil {
		return err
	}
	if !cfg.Foreground {
		return startDaemon(argv, lns)
	}
	log, closeLog, err := newLogger(cfg, osLogDest(stderr))
	if err != nil {
		closeAll(lns)
		return err
	}
	defer closeLog()
	return serve(cfg, local, lns, log, func() {})
}

// serve relays connections from lns to cfg.Target until SIGTERM or SIGINT,
// then drains; on inherited sockets it may also end by itself (exitRule).
// ready is called once the signal handlers are in place and the startup
// records are written; systemd hears READY=1 right after. serve owns lns.
func serve(cfg config, local *net.TCPAddr, lns []net.Listener, log *slog.Logger, ready func()) error {
	f := newForwarder(cfg, local, log)
	n := newNotifier(log)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	shutdown := stopper(n, stop)
	quit := make(chan struct{})
	watched := watchSignals(quit, shutdown, log)
	for _, ln := range lns {
		announce(log, ln, cfg.Target)
	}
	ready()
	notifyReady(n, log)
	informed := keepInformed(n, f)
	exited := watchExit(quit, shutdown, f, exitRuleFor(cfg, lns), log)
	err := f.Serve(ctx, lns...)
	informed()
	close(quit)
	<-watched
	<-exited
	st := f.Stats()
	if err != nil {
		log.Error("stopped: "+err.Error(), "error", err.Error())
		return err
	}
	log.Log(context.Background(), levelNotice, "stopped",
		"connections", st.Total, "bytes_from_client", st.FromClient, "bytes_from_target", st.FromTarget)
	return nil
}

// newForwarder is the core configured by cfg, its hooks included.
func newForwarder(cfg config, local *net.TCPAddr, log *slog.Logger) *forward.Forwarder {
	f := &forward.Forwarder{
		Target:       cfg.Target,
		LocalAddr:    local,
		DialTimeout:  cfg.ConnectTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		DrainTimeout: drainTimeout(cfg),
		MaxConns:     cfg.MaxConns,
		Log:          log,
	}
	f.Hooks = newHooks(cfg, f, log)
	return f
}

// announce writes the startup record for one listener.
func announce(log *slog.Logger, ln net.Listener, target string) {
	ctx, local := context.Background(), ln.Addr().String()
	if c, ok := ln.(*activation.ConnListener); ok {
		log.Log(ctx, levelNotice, fmt.Sprintf("relaying a connection from %s on %s to %s", c.RemoteAddr(), local, target),
			"client", c.RemoteAddr().String(), "local", local, "target", target)
		return
	}
	log.Log(ctx, levelNotice, fmt.Sprintf("listening on %s, forwarding to %s", local, target),
		"local", local, "target", target)
}

// drainTimeout maps --drain-timeout to forward's convention, where zero
// means the default: --drain-timeout 0 asks not to wait at all.
func drainTimeout(cfg config) time.Duration {
	if cfg.DrainTimeout <= 0 {
		return -1
	}
	return cfg.DrainTimeout
}

// watchSignals turns the first SIGTERM or SIGINT into stop(); later ones,
// and SIGHUP (redir has nothing to reload), are logged and ignored, so a
// shutdown always drains for up to --drain-timeout and exits 0. It watches
// until quit is closed; the returned channel is closed when it has stopped.
func watchSignals(quit <-chan struct{}, stop func(), log *slog.Logger) <-chan struct{} {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer signal.Stop(ch)
		stopping := false
		for {
			select {
			case <-quit:
				return
			case s := <-ch:
				stopping = onSignal(s, stopping, stop, log)
			}
		}
	}()
	return done
}

// onSignal acts on one signal and says whether a shutdown is under way.
func onSignal(s os.Signal, stopping bool, stop func(), log *slog.Logger) bool {
	ctx := context.Background()
	name := signalName(s)
	switch {
	case s == syscall.SIGHUP:
		log.Log(ctx, levelNotice, "SIGHUP ignored: nothing to reload", "signal", name)
	case stopping:
		log.Log(ctx, levelNotice, name+" ignored: already shutting down", "signal", name)
	default:
		log.Log(ctx, levelNotice, name+" received, shutting down: draining open connections", "signal", name)
		stop()
	}
	return stopping || s != syscall.SIGHUP
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}
