package main

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ftpNet is three namespaces joined by two veth pairs, so that the client
// reaches the server only through the redirector (which does not route):
//
//	cli 192.0.2.2 2001:db8:1::2 ── 192.0.2.1 2001:db8:1::1 rdr
//	rdr 198.51.100.1 2001:db8:2::1 ── 198.51.100.2 2001:db8:2::2 srv
type ftpNet struct {
	cli, rdr, srv string
	root          string // vsftpd's anonymous root: big.bin, upload/
	vsftpdLog     string
	big           string // the 10 MiB file's path, and its hash
	bigSum        string
	// hidden are the client's addresses, which vsftpd must never be sent.
	hidden []string
}

func newFTPNet(t *testing.T) *ftpNet {
	t.Helper()
	n := &ftpNet{cli: newNetns(t), rdr: newNetns(t), srv: newNetns(t),
		hidden: []string{"192,0,2,2", "192.0.2.2", "2001:db8:1::2"}}
	n.link(t, n.cli, "to-cli", "192.0.2.2/24", "2001:db8:1::2/64", "192.0.2.1/24", "2001:db8:1::1/64")
	n.link(t, n.srv, "to-srv", "198.51.100.2/24", "2001:db8:2::2/64", "198.51.100.1/24", "2001:db8:2::1/64")
	return n
}

// link joins ns to the redirector's namespace with a veth pair, each end
// with an IPv4 and an IPv6 address (no DAD, usable at once).
func (n *ftpNet) link(t *testing.T, ns, dev, v4, v6, rv4, rv6 string) {
	t.Helper()
	mustRun(t, "ip", "-n", n.rdr, "link", "add", dev, "type", "veth", "peer", "name", "eth0", "netns", ns)
	for _, side := range []struct{ ns, dev, v4, v6 string }{{ns, "eth0", v4, v6}, {n.rdr, dev, rv4, rv6}} {
		mustRun(t, "ip", "-n", side.ns, "addr", "add", side.v4, "dev", side.dev)
		mustRun(t, "ip", "-n", side.ns, "addr", "add", side.v6, "dev", side.dev, "nodad")
		mustRun(t, "ip", "-n", side.ns, "link", "set", side.dev, "up")
	}
}

// startVsftpd runs vsftpd in the server namespace on port 21, IPv4 and
// IPv6, anonymous download from root and upload into root/upload, with a
// private configuration file; it waits until it answers at addr.
func (n *ftpNet) startVsftpd(t *testing.T, addr string) {
	t.Helper()
	dir := t.TempDir()
	n.root, n.vsftpdLog = filepath.Join(dir, "root"), filepath.Join(dir, "vsftpd.log")
	empty := filepath.Join(dir, "empty")
	ftpUser, err := user.Lookup("ftp")
	if err != nil {
		t.Fatalf("vsftpd's anonymous user: %v", err)
	}
	uid, _ := strconv.Atoi(ftpUser.Uid)
	for _, d := range []string{n.root, filepath.Join(n.root, "upload"), empty} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.Chmod(dir, 0o755)
	if err := os.Chown(filepath.Join(n.root, "upload"), uid, -1); err != nil {
		t.Fatal(err)
	}
	n.big = filepath.Join(n.root, "big.bin")
	n.bigSum = writeRandom(t, n.big, 10<<20)
	conf := filepath.Join(dir, "vsftpd.conf")
	text := fmt.Sprintf(vsftpdConf, n.root, empty, n.vsftpdLog)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	nsStart(t, n.srv, "vsftpd", conf)
	n.dialRetry(t, n.srv, addr).Close()
}

// vsftpdConf is the server's whole configuration: root, secure_chroot_dir
// and log file are filled in.
const vsftpdConf = `listen=NO
listen_ipv6=YES
background=NO
anonymous_enable=YES
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_root=%s
no_anon_password=YES
anon_umask=022
secure_chroot_dir=%s
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
connect_from_port_20=NO
pasv_enable=YES
port_enable=YES
xferlog_enable=YES
log_ftp_protocol=YES
vsftpd_log_file=%s
syslog_enable=NO
`

// dialRetry connects from namespace ns to addr, retrying for up to 10 s
// while nothing listens there.
func (n *ftpNet) dialRetry(t *testing.T, ns, addr string) net.Conn {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var c net.Conn
		var err error
		inNetns(t, ns, func() { c, err = net.DialTimeout("tcp", addr, 2*time.Second) })
		if err == nil {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("cannot connect from %s to %s: %v", ns, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// curl runs curl in the client namespace and returns its output; it has
// to succeed.
func (n *ftpNet) curl(t *testing.T, args ...string) string {
	t.Helper()
	all := append([]string{"netns", "exec", n.cli, "curl", "-sS", "--max-time", "60"}, args...)
	out, err := exec.Command("ip", all...).CombinedOutput()
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// writeRandom writes size random bytes to path and returns their hash.
func writeRandom(t *testing.T, path string, size int64) string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), rand.Reader, size); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// fileSum is the hash of a file.
func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}
