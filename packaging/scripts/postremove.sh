#!/bin/sh
# After removal (deb: "remove" or "purge"; rpm: 0 packages left): let
# systemd forget the units and the generator's drop-ins.
set -e
case "$1" in
remove | purge | 0)
	if [ -d /run/systemd/system ]; then
		systemctl --system daemon-reload >/dev/null 2>&1 || true
	fi ;;
esac
exit 0
