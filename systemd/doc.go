// Package systemd is what a service says to systemd besides taking its
// sockets: structured records for journald, over journald's native
// protocol (a slog.Handler), and readiness, status and watchdog pings over
// sd_notify (a Notifier).
//
// It stays silent when not under systemd: without NOTIFY_SOCKET a
// Notifier sends nothing and reports no error. It never writes to stdout
// or stderr, which under inetd may be the client's socket.
//
// It does not take inherited sockets (package activation does), does not
// read the journal, and does not decide where records go: the command
// chooses, with JournalStream and JournalAvailable to help.
package systemd
