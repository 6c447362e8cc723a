// Package packaging holds what installs and runs redir on a system: the
// systemd units, the inetd and xinetd examples, an example instance conf,
// the shell completions, the man pages and the nfpm recipe that makes the
// .deb and .rpm (built with "make package" at the top level).
//
// It has no Go code of its own: its tests check those files for real.
// systemd-analyze verifies the units and scores the service's sandbox;
// inetd and xinetd relay through the shipped examples with tcpd; bash,
// zsh and fish load the completions; lintian and rpmlint check the
// packages; and the end-to-end test boots Debian 12 with systemd as PID 1
// in systemd-nspawn, installs the .deb and relays through
// redir@http.socket.
package packaging
