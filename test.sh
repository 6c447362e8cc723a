#!/usr/bin/env bash
# The whole test suite: installs what the tests need (as root, with apt-get),
# checks formatting and vet, then runs every test with the race detector.
# Usage: sudo ./test.sh   (or as root: bash test.sh)
set -euo pipefail
cd "$(dirname "$0")"
export PATH="$PATH:/usr/local/go/bin"

# Tools the tests call: ss (iproute2), prlimit and unshare (util-linux),
# strace; systemd-socket-activate (systemd), inetd (openbsd-inetd) and tcpd
# run redir as its front-ends do; mandoc lints the man page. vsftpd and curl
# for FTP; tinyproxy (CONNECT), nginx-light and haproxy (PROXY protocol
# receivers) and nftables (transparent mode) for the outbound side;
# systemd-container and mmdebstrap boot Debian with systemd for the package
# test, which make, lintian, rpm and rpmlint build and check; zsh and fish
# load the shell completions; git gives the package its version.
need=(iproute2 util-linux strace mandoc systemd openbsd-inetd tcpd
	vsftpd curl tinyproxy nginx-light haproxy nftables
	systemd-container mmdebstrap make lintian rpm rpmlint zsh fish git)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
	if [ "$(id -u)" != 0 ]; then
		echo "test.sh: missing packages ${missing[*]}; run as root to install them" >&2
		exit 1
	fi
	apt-get update -qq
	# The tests run their own servers with private configs: keep the
	# packages' daemons (vsftpd on :21, nginx on :80 ...) from starting.
	policy=/usr/sbin/policy-rc.d ours=
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && ours=1
		trap 'rm -f "$policy"' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
	if [ -n "$ours" ]; then rm -f "$policy"; trap - EXIT; fi
fi
# xinetd conflicts with openbsd-inetd, so its test runs it unpacked from a
# .deb it fetches with apt-get download: that needs the package lists.
if ! apt-cache show xinetd >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then
		echo "test.sh: no apt package lists for xinetd; run as root (apt-get update)" >&2
		exit 1
	fi
	apt-get update -qq
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
	echo "test.sh: gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi
go vet ./...
# The man pages must stay lint-clean (the "outdated mandoc.db" notes only say
# the machine's man index lacks pages it cross-references).
shopt -s nullglob
pages=(packaging/*.[1-8])
shopt -u nullglob
lint=$(mandoc -Tlint -W warning "${pages[@]}" 2>&1 | grep -v 'outdated mandoc.db' || true)
if [ -n "$lint" ]; then
	echo "test.sh: mandoc -Tlint:" >&2
	echo "$lint" >&2
	exit 1
fi
go test -race -count=1 -timeout 20m ./...
