package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Xinetd returns the path of an xinetd to run: the installed one, or one
// unpacked from Debian's package (apt-get download: it conflicts with
// openbsd-inetd as a package) and kept in the user's cache directory
// between runs. A lock there lets the test binaries of several packages
// fetch it at the same time.
func Xinetd(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat("/usr/sbin/xinetd"); err == nil {
		return "/usr/sbin/xinetd"
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "redir-test", "xinetd")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	unlock := lockDir(t, dir)
	defer unlock()
	bin := filepath.Join(dir, "root", "usr", "sbin", "xinetd")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("sh", "-c", `set -e; rm -rf root *.deb; apt-get download -q xinetd 2>&1; dpkg -x xinetd_*.deb root`)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fetching xinetd with apt-get download (run apt-get update first?): %v\n%s", err, out)
	}
	return bin
}

// lockDir takes an exclusive lock on dir/.lock, waiting for it, and
// returns its release.
func lockDir(t testing.TB, dir string) (unlock func()) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, ".lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatalf("locking %s: %v", f.Name(), err)
	}
	return func() { f.Close() } // closing releases the lock
}
