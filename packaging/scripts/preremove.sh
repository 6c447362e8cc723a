#!/bin/sh
# Before removal (deb: "remove"; rpm: 0 packages left): stop every
# instance, sockets first so that none starts its service again.
set -e
case "$1" in
remove | 0)
	if [ -d /run/systemd/system ]; then
		systemctl stop 'redir@*.socket' 'redir@*.service' >/dev/null 2>&1 || true
	fi ;;
esac
exit 0
