package main

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redir-project/redir/shaper"
)

// TestShapeFTPData checks that -m holds an FTP data connection to the
// rate as a connection of its own: real curl downloads and uploads 10 MiB
// from a real vsftpd through redir -f both -m, each in a namespace of its
// own, at 20 Mbit/s (about 4 s each way) within 5 %, passive and active.
// Timed as TestShapeRates times its fast cases: not alongside the
// parallel tests, through a redir built without the race detector, at a
// higher priority.
func TestShapeFTPData(t *testing.T) {
	const bps = 20_000_000
	bin := plainRedir(t)
	n := newFTPNet(t)
	n.startVsftpd(t, "198.51.100.2:21")
	args := []string{bin, "-n", "-l", "info", "-f", "both", "-m", strconv.Itoa(bps), "192.0.2.1:2121", "198.51.100.2:21"}
	p := nsStart(t, n.rdr, append(niceTimed[:len(niceTimed):len(niceTimed)], args...)...)
	n.dialRetry(t, n.cli, "192.0.2.1:2121").Close()
	upload := filepath.Join(t.TempDir(), "up.bin")
	upSum := writeRandom(t, upload, 10<<20)
	for _, mode := range []struct {
		name  string
		flags []string
	}{
		{"passive", nil},
		{"active", []string{"-P", "192.0.2.2"}},
	} {
		down := filepath.Join(t.TempDir(), "down.bin")
		out := n.curl(t, append(mode.flags, "-w", "%{speed_download}", "-o", down, "ftp://192.0.2.1:2121/big.bin")...)
		if got := fileSum(t, down); got != n.bigSum {
			t.Errorf("%s download: hash %s, want %s", mode.name, got, n.bigSum)
		}
		checkCurlRate(t, mode.name+" download", out, bps)
		name := "shaped-" + mode.name + ".bin"
		out = n.curl(t, append(mode.flags, "-w", "%{speed_upload}", "-T", upload, "ftp://192.0.2.1:2121/upload/"+name)...)
		if got := fileSum(t, filepath.Join(n.root, "upload", name)); got != upSum {
			t.Errorf("%s upload: hash %s, want %s", mode.name, got, upSum)
		}
		checkCurlRate(t, mode.name+" upload", out, bps)
	}
	waitCount(t, p, " parent=", 4)
}

// checkCurlRate checks curl's average speed in bytes per second, over the
// whole command (login and the data connection's set-up included, a few
// milliseconds here), against bps within 5 %, the burst allowed for.
func checkCurlRate(t *testing.T, label, out string, bps int64) {
	t.Helper()
	speed, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		t.Fatalf("%s: curl's speed %q: %v", label, out, err)
	}
	const size = 10 << 20
	burst := float64(shaper.Burst(bps, shaper.DefaultPacket))
	rate := speed * 8 * (size - burst) / size
	t.Logf("%s: %.0f bit/s (%+.2f%%)", label, rate, (rate/float64(bps)-1)*100)
	if rate < 0.95*float64(bps) || rate > 1.05*float64(bps) {
		t.Errorf("%s: %.0f bit/s, want %d within 5%%", label, rate, bps)
	}
}
