package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFTPActivated runs the FTP transfers through a redir that systemd's
// systemd-socket-activate started, once with the listening socket
// (Accept=no) and once per connection as -i (Accept=yes, --inetd): the
// data listeners are bound on the address the passed socket was reached
// at, as with a socket of redir's own.
func TestFTPActivated(t *testing.T) {
	n := newFTPNet(t)
	n.startVsftpd(t, "198.51.100.2:21")
	act := nsStart(t, n.rdr, "systemd-socket-activate", "-l", "192.0.2.1:2123",
		redirBin, "-l", "info", "-f", "both", "198.51.100.2:21")
	nsStart(t, n.rdr, "systemd-socket-activate", "-l", "[2001:db8:1::1]:2124", "--accept", "--inetd",
		redirBin, "-i", "-f", "both", "[2001:db8:2::2]:21")
	n.dialRetry(t, n.cli, "192.0.2.1:2123").Close()
	n.dialRetry(t, n.cli, "[2001:db8:1::1]:2124").Close()
	upload := filepath.Join(t.TempDir(), "up.bin")
	upSum := writeRandom(t, upload, 10<<20)
	for _, sc := range []ftpScenario{
		{"activated passive", "ftp://192.0.2.1:2123/", nil, "EPSV", "PASV"},
		{"activated active", "ftp://192.0.2.1:2123/", []string{"-P", "192.0.2.2", "--disable-eprt"}, "PORT 192,0,2,2,", "PORT 198,51,100,1,"},
		{"inetd passive", "ftp://[2001:db8:1::1]:2124/", nil, "EPSV", "EPSV"},
		{"inetd active", "ftp://[2001:db8:1::1]:2124/", []string{"-P", "2001:db8:1::2"}, "EPRT |2|2001:db8:1::2|", "EPRT |2|2001:db8:2::1|"},
	} {
		t.Run(sc.name, func(t *testing.T) { n.transfer(t, sc, upload, upSum) })
	}
	waitCount(t, act, " parent=", 2*3)
}

// TestFTPModes: each -f type rewrites its own transfers only, and without
// -f nothing is: in these namespaces a transfer not rewritten fails.
func TestFTPModes(t *testing.T) {
	n := newFTPNet(t)
	n.startVsftpd(t, "198.51.100.2:21")
	passive, active := []string{"--disable-epsv"}, []string{"-P", "192.0.2.2"}
	for i, tc := range []struct {
		name           string
		args           []string
		passive, activ bool // work
	}{
		{"port", []string{"-f", "port"}, false, true},
		{"pasv", []string{"-f", "pasv"}, true, false},
		{"without -f", nil, false, false},
	} {
		src := fmt.Sprintf("192.0.2.1:%d", 2130+i)
		n.startRedir(t, append(tc.args, src, "198.51.100.2:21")...)
		for _, f := range []struct {
			flags []string
			want  bool
		}{{passive, tc.passive}, {nil, tc.passive}, {active, tc.activ}} {
			args := append([]string{"netns", "exec", n.cli, "curl", "-sS", "--max-time", "20"}, f.flags...)
			out, err := exec.Command("ip", append(args, "ftp://"+src+"/")...).CombinedOutput()
			if works := err == nil && strings.Contains(string(out), "big.bin"); works != f.want {
				t.Errorf("%s, curl %v: listing worked %v, want %v\n%s", tc.name, f.flags, works, f.want, out)
			}
		}
	}
}
