package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ftpScenario is one curl transfer mode through one redirector.
type ftpScenario struct {
	name   string
	url    string   // ftp://redirector/
	flags  []string // curl's
	client string   // what curl must have sent for the data connection
	server string   // what vsftpd must have been sent in its place
}

// TestFTPEndToEnd runs real curl against a real vsftpd through redir -f,
// each in a namespace of its own (an address not rewritten cannot be
// reached): a listing, a 10 MiB download and a 10 MiB upload, compared
// by hash, in every passive and active form, over IPv4 and IPv6.
func TestFTPEndToEnd(t *testing.T) {
	n := newFTPNet(t)
	n.startVsftpd(t, "198.51.100.2:21")
	inNetns(t, n.cli, func() {
		if c, err := net.DialTimeout("tcp", "198.51.100.2:21", time.Second); err == nil {
			c.Close()
			t.Fatal("the client reaches the server without the redirector")
		}
	})
	r4 := n.startRedir(t, "-f", "both", "192.0.2.1:2121", "198.51.100.2:21")
	r6 := n.startRedir(t, "-f", "both", "[2001:db8:1::1]:2121", "[2001:db8:2::2]:21")
	r64 := n.startRedir(t, "--ftp=pasv", "[2001:db8:1::1]:2122", "198.51.100.2:21")
	r46 := n.startRedir(t, "-f", "both", "192.0.2.1:2122", "[2001:db8:2::2]:21")
	upload := filepath.Join(t.TempDir(), "up.bin")
	upSum := writeRandom(t, upload, 10<<20)
	for _, sc := range []ftpScenario{
		{"passive EPSV", "ftp://192.0.2.1:2121/", nil, "EPSV", "PASV"},
		{"passive PASV", "ftp://192.0.2.1:2121/", []string{"--disable-epsv"}, "PASV", "PASV"},
		{"active EPRT", "ftp://192.0.2.1:2121/", []string{"-P", "192.0.2.2"}, "EPRT |1|192.0.2.2|", "PORT 198,51,100,1,"},
		{"active PORT", "ftp://192.0.2.1:2121/", []string{"-P", "192.0.2.2", "--disable-eprt"}, "PORT 192,0,2,2,", "PORT 198,51,100,1,"},
		{"IPv6 passive EPSV", "ftp://[2001:db8:1::1]:2121/", nil, "EPSV", "EPSV"},
		{"IPv6 active EPRT", "ftp://[2001:db8:1::1]:2121/", []string{"-P", "2001:db8:1::2"}, "EPRT |2|2001:db8:1::2|", "EPRT |2|2001:db8:2::1|"},
		// curl speaks EPSV over IPv6 whatever it is told; the server, over
		// IPv4, is sent PASV and its 227 reaches the client as a 229.
		{"IPv6 client, IPv4 server", "ftp://[2001:db8:1::1]:2122/", []string{"--disable-epsv"}, "EPSV", "PASV"},
		// And the other way round: the client's PASV and PORT reach an IPv6
		// server as EPSV and EPRT.
		{"IPv4 client, IPv6 server", "ftp://192.0.2.1:2122/", []string{"--disable-epsv"}, "PASV", "EPSV"},
		{"IPv4 client, IPv6 server, active", "ftp://192.0.2.1:2122/", []string{"-P", "192.0.2.2", "--disable-eprt"}, "PORT 192,0,2,2,", "EPRT |2|2001:db8:2::1|"},
	} {
		t.Run(sc.name, func(t *testing.T) { n.transfer(t, sc, upload, upSum) })
	}
	t.Run("bounce refused", func(t *testing.T) { n.bounce(t, r4) })
	for _, c := range []struct {
		p    *redirProc
		data int
	}{{r4, 4 * 3}, {r6, 2 * 3}, {r64, 3}, {r46, 2 * 3}} {
		waitCount(t, c.p, " parent=", c.data)
		checkParents(t, c.p)
	}
}

// checkParents: every record of a data connection (one that did not
// come in on the listening port) names its control connection.
func checkParents(t *testing.T, p *redirProc) {
	t.Helper()
	for _, line := range strings.Split(p.Stderr.String(), "\n") {
		if !strings.Contains(line, "Disconnect after") {
			continue
		}
		control := strings.Contains(line, ":2121 target=") || strings.Contains(line, ":2122 target=")
		if control == strings.Contains(line, " parent=") {
			t.Errorf("a control record with parent, or a data record without:\n%s", line)
		}
	}
}

// startRedir runs redir -n in the redirector's namespace, with a record
// for every connection, and waits until the client namespace reaches it.
func (n *ftpNet) startRedir(t *testing.T, args ...string) *redirProc {
	t.Helper()
	p := nsStart(t, n.rdr, append([]string{redirBin, "-n", "-l", "info"}, args...)...)
	src := args[len(args)-2]
	n.dialRetry(t, n.cli, src).Close()
	return p
}

// transfer lists, downloads and uploads through the scenario's redirector
// and checks what vsftpd was sent meanwhile.
func (n *ftpNet) transfer(t *testing.T, sc ftpScenario, upload, upSum string) {
	logStart := fileSize(t, n.vsftpdLog)
	flags := append([]string{"-g"}, sc.flags...)
	out := n.curl(t, append(flags, "-v", sc.url)...)
	if !strings.Contains(out, "big.bin") || !strings.Contains(out, "> "+sc.client) {
		t.Errorf("listing without big.bin, or curl did not send %q:\n%s", sc.client, out)
	}
	down := filepath.Join(t.TempDir(), "down.bin")
	n.curl(t, append(flags, "-o", down, sc.url+"big.bin")...)
	if got := fileSum(t, down); got != n.bigSum {
		t.Errorf("download hash %s, want %s", got, n.bigSum)
	}
	name := strings.ReplaceAll(sc.name, " ", "-") + ".bin"
	n.curl(t, append(flags, "-T", upload, sc.url+"upload/"+name)...)
	if got := fileSum(t, filepath.Join(n.root, "upload", name)); got != upSum {
		t.Errorf("upload hash %s, want %s", got, upSum)
	}
	log := readFrom(t, n.vsftpdLog, logStart)
	if strings.Count(log, `", "`+sc.server) < 3 {
		t.Errorf("vsftpd was not sent %q for each of the 3 transfers:\n%s", sc.server, log)
	}
	for _, client := range n.hidden {
		if strings.Contains(log, client) {
			t.Errorf("the client's address %s reached vsftpd:\n%s", client, log)
		}
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func readFrom(t *testing.T, path string, off int64) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b[off:])
}
