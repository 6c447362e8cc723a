#!/bin/sh
# Builds bin/redir and bin/redir-bench, raises the open-file limit, and
# measures redir against direct loopback connections (see BENCHMARKS.md).
# Arguments go to redir-bench: -quick for a short run, -peers to measure
# haproxy, systemd-socket-proxyd, rinetd and socat too (those installed),
# -h for the rest.
set -eu
cd "$(dirname "$0")"
mkdir -p bin
go build -o bin/redir ./cmd/redir
go build -o bin/redir-bench ./cmd/redir-bench
# redir runs under 20,100 descriptors; raising the hard limit needs
# CAP_SYS_RESOURCE, and without it redir-bench makes do and says so.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt 20100 ]; then
	ulimit -Hn 20100 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)"
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo ", with uncommitted changes" || true)
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty"
exec bin/redir-bench "$@"
