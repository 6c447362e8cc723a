package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestFTPTransparent runs redir -p -f both on the router of the
// transparent-mode namespaces: vsftpd sees the client's own address on
// the control connection, in the PORT it is sent and on the data
// connections, passive (dialled from the client's address) and active
// (listened for on it), and still only the redirector can reach it.
func TestFTPTransparent(t *testing.T) {
	cli, rdr, srv := transparentNet(t)
	n := &ftpNet{cli: cli, rdr: rdr, srv: srv}
	n.startVsftpd(t, "203.0.113.2:21")
	n.startRedir(t, "-p", "-f", "both", "198.51.100.1:2121", "203.0.113.2:21")
	upload := filepath.Join(t.TempDir(), "up.bin")
	upSum := writeRandom(t, upload, 10<<20)
	for _, sc := range []ftpScenario{
		{"passive", "ftp://198.51.100.1:2121/", []string{"--disable-epsv"}, "PASV", "PASV"},
		{"active", "ftp://198.51.100.1:2121/", []string{"-P", "198.51.100.2"}, "EPRT |1|198.51.100.2|", "PORT 198,51,100,2,"},
	} {
		t.Run(sc.name, func(t *testing.T) {
			logStart := fileSize(t, n.vsftpdLog)
			n.transfer(t, sc, upload, upSum)
			log := readFrom(t, n.vsftpdLog, logStart)
			// vsftpd listens dual-stack: it logs "::ffff:198.51.100.2".
			if strings.Count(log, `198.51.100.2", "`) < 6 || strings.Contains(log, `198.51.100.1"`) {
				t.Errorf("vsftpd did not see the client's address alone:\n%s", log)
			}
		})
	}
}
