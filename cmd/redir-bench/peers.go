package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The standard peers of -peers, each measured where it is installed:
// haproxy, systemd-socket-proxyd, rinetd and socat. Their config files are
// written per start into a temporary directory that run removes.

// haproxyMaxConn is haproxy's global maxconn. haproxy refuses to start when
// maxconn needs more descriptors than its limit allows (two per
// connection), so under a lower limit it gets what fits.
const haproxyMaxConn = 9000

// peerNames are the column titles of the peers.
var peerNames = []string{"haproxy", "socket-proxyd", "rinetd", "socat"}

// forwarders lists what the run measures: redir, each -compare command,
// then with -peers the installed peers, with a note for each one missing.
func forwarders(o options, nofile uint64, dir string) ([]forwarder, []string) {
	fws := []forwarder{redirForwarder(o.redir, nofile)}
	for i, tmpl := range o.compare {
		fws = append(fws, templateForwarder(o.compareNames[i], tmpl, nofile))
	}
	if !o.peers {
		return fws, nil
	}
	var notes []string
	for _, p := range []func(string, uint64, int) (forwarder, string){haproxyPeer, proxydPeer, rinetdPeer, socatPeer} {
		fw, missing := p(dir, nofile, o.conns)
		if missing != "" {
			notes = append(notes, "peer "+missing+" is not installed: skipped")
			continue
		}
		fws = append(fws, fw)
	}
	return fws, notes
}

// findTool is name's path in $PATH or else the first of paths that
// exists, "" if none.
func findTool(name string, paths ...string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	return ""
}

func haproxyPeer(dir string, nofile uint64, _ int) (forwarder, string) {
	bin := findTool("haproxy", "/usr/sbin/haproxy", "/sbin/haproxy")
	if bin == "" {
		return forwarder{}, "haproxy"
	}
	maxconn := max(1, min(haproxyMaxConn, (int(nofile)-restFds)/2))
	return forwarder{name: "haproxy", nofile: nofile, version: []string{bin, "-v"},
		shown: fmt.Sprintf("%s -db -f CONFIG (global maxconn %d; mode tcp; bind 127.0.0.1:PORT; one server 127.0.0.1:BACKEND)", bin, maxconn),
		argv: func(l, b int) ([]string, error) {
			file := filepath.Join(dir, fmt.Sprintf("haproxy-%d.cfg", l))
			err := os.WriteFile(file, []byte(haproxyConfig(maxconn, l, b)), 0o644)
			return []string{bin, "-db", "-f", file}, err
		}}, ""
}

// haproxyConfig forwards 127.0.0.1:listen to 127.0.0.1:backend in TCP
// mode. The frontend takes the global maxconn; the timeouts only keep the
// idle connections open.
func haproxyConfig(maxconn, listen, backend int) string {
	return fmt.Sprintf(`global
	maxconn %d
defaults
	mode tcp
	maxconn %d
	timeout connect 10s
	timeout client 1h
	timeout server 1h
frontend in
	bind 127.0.0.1:%d
	default_backend out
backend out
	server target 127.0.0.1:%d
`, maxconn, maxconn, listen, backend)
}

// proxydPeer is systemd-socket-proxyd behind systemd-socket-activate. Its
// default cap of 256 connections is lifted to the idle test's count.
func proxydPeer(_ string, nofile uint64, conns int) (forwarder, string) {
	act := findTool("systemd-socket-activate", "/usr/bin/systemd-socket-activate", "/bin/systemd-socket-activate")
	proxyd := findTool("systemd-socket-proxyd", "/lib/systemd/systemd-socket-proxyd", "/usr/lib/systemd/systemd-socket-proxyd")
	if act == "" || proxyd == "" {
		return forwarder{}, "systemd-socket-proxyd (with systemd-socket-activate)"
	}
	tmpl := fmt.Sprintf("%s -l 127.0.0.1:%%d %s --connections-max=%d 127.0.0.1:%%d", act, proxyd, conns)
	fw := templateForwarder("socket-proxyd", tmpl, nofile)
	fw.version = []string{proxyd, "--version"}
	return fw, ""
}

func rinetdPeer(dir string, nofile uint64, _ int) (forwarder, string) {
	bin := findTool("rinetd", "/usr/sbin/rinetd", "/sbin/rinetd")
	if bin == "" {
		return forwarder{}, "rinetd"
	}
	return forwarder{name: "rinetd", nofile: nofile, version: []string{bin, "-v"},
		shown: bin + " -f -c CONFIG (one line: 127.0.0.1 PORT 127.0.0.1 BACKEND)",
		argv: func(l, b int) ([]string, error) {
			file := filepath.Join(dir, fmt.Sprintf("rinetd-%d.conf", l))
			err := os.WriteFile(file, fmt.Appendf(nil, "127.0.0.1 %d 127.0.0.1 %d\n", l, b), 0o644)
			return []string{bin, "-f", "-c", file}, err
		}}, ""
}

// socatPeer forks a process per connection: 10,000 idle connections would
// be 10,000 processes, so it sits out the idle test.
func socatPeer(_ string, nofile uint64, _ int) (forwarder, string) {
	bin := findTool("socat", "/usr/bin/socat")
	if bin == "" {
		return forwarder{}, "socat"
	}
	fw := templateForwarder("socat", bin+" TCP-LISTEN:%d,fork,reuseaddr,bind=127.0.0.1 TCP:127.0.0.1:%d", nofile)
	fw.version = []string{bin, "-V"}
	fw.skip = map[string]string{"idle": "it forks a process per connection"}
	return fw, ""
}

// compareName is the column title of a -compare command: the base name of
// its first word.
func compareName(tmpl string) string {
	f := strings.Fields(tmpl)
	if len(f) == 0 {
		return "compare"
	}
	return filepath.Base(f[0])
}
