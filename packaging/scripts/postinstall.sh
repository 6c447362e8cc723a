#!/bin/sh
# After install or upgrade (deb: "configure"; rpm: 1 or 2): let systemd see
# the units and rerun redir-generator for the confs in /etc/redir; on an
# upgrade, restart the instances that run (their sockets stay open, so no
# client is refused).
set -e
if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null 2>&1 || true
	case "$1" in
	configure) [ -z "$2" ] || systemctl try-restart 'redir@*.service' >/dev/null 2>&1 || true ;;
	2) systemctl try-restart 'redir@*.service' >/dev/null 2>&1 || true ;;
	esac
fi
exit 0
