package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// listenAll binds every address in addrs ("host:port"; an empty host means
// every address, IPv4 and IPv6). On error it closes what it had bound and
// returns the error, which names the address (net.OpError does).
func listenAll(addrs []string) ([]net.Listener, error) {
	lns := make([]net.Listener, 0, len(addrs))
	for _, a := range addrs {
		ln, err := net.Listen(listenNetwork(a), a)
		if err != nil {
			closeAll(lns)
			return nil, &valueError{"listen", a, err}
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// listenNetwork is "tcp4" for an IPv4 address: Go's "tcp" would open
// 0.0.0.0 as a socket for IPv6 too, unlike systemd's ListenStream= and
// redir 3.3, and clash with a listener on [::] for the same port.
func listenNetwork(addr string) string {
	if host, _, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.To4() != nil && !strings.Contains(host, ":") {
			return "tcp4"
		}
	}
	return "tcp"
}

func closeAll(lns []net.Listener) {
	for _, ln := range lns {
		ln.Close()
	}
}

// bindAddr resolves the -b address and checks that it exists on this host
// by binding a socket to it, so a typo fails at start with the address
// named rather than on every connection later. "" gives nil: the kernel
// chooses the source address.
func bindAddr(bind string) (*net.TCPAddr, error) {
	if bind == "" {
		return nil, nil
	}
	host := strings.TrimSuffix(strings.TrimPrefix(bind, "["), "]")
	addr, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, &valueError{"bind", bind, fmt.Errorf("-b %s: %w", bind, err)}
	}
	ln, err := net.ListenTCP("tcp", addr)
	if err != nil {
		// The OpError's own text repeats the address with a port of 0;
		// keep only the system call and the reason.
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err
		}
		return nil, &valueError{"bind", bind, fmt.Errorf("-b %s: address not usable on this host: %w", bind, err)}
	}
	ln.Close()
	return &net.TCPAddr{IP: addr.IP, Zone: addr.Zone}, nil
}

// listenerFiles returns a duplicate of each listener's socket, to hand to
// the background child. The caller closes them.
func listenerFiles(lns []net.Listener) ([]*os.File, error) {
	files := make([]*os.File, 0, len(lns))
	for _, ln := range lns {
		tl, ok := ln.(*net.TCPListener)
		if !ok {
			closeFiles(files)
			return nil, fmt.Errorf("listener %s is not TCP", ln.Addr())
		}
		f, err := tl.File()
		if err != nil {
			closeFiles(files)
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// fileListeners turns the inherited descriptors fds back into listeners.
// Each descriptor is closed: net.FileListener works on a duplicate.
func fileListeners(fds []int) ([]net.Listener, error) {
	lns := make([]net.Listener, 0, len(fds))
	for _, fd := range fds {
		f := os.NewFile(uintptr(fd), fmt.Sprintf("listener%d", fd))
		ln, err := net.FileListener(f)
		f.Close()
		if err != nil {
			closeAll(lns)
			return nil, fmt.Errorf("inherited descriptor %d: %w", fd, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func closeFiles(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}
