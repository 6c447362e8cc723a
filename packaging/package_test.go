package packaging

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The packages: make package builds them, lintian and rpmlint pass them,
// and both hold the same files.

// built is what make package made, once per test run: the end-to-end test
// installs the same .deb.
var built struct {
	once     sync.Once
	dir      string // removed by TestMain
	deb, rpm string
	version  string
	out      string
	err      error
}

// packages runs make package once and returns the .deb and the .rpm.
func packages(t *testing.T) (deb, rpm string) {
	t.Helper()
	built.once.Do(func() {
		dist := filepath.Join(built.dir, "dist")
		cmd := exec.Command("make", "-C", "..", "package", "DIST="+dist)
		out, err := cmd.CombinedOutput()
		built.out, built.err = string(out), err
		if err != nil {
			return
		}
		v, _ := exec.Command("make", "-s", "-C", "..", "version").Output()
		built.version = strings.TrimSpace(string(v))
		debs, _ := filepath.Glob(filepath.Join(dist, "redir_*.deb"))
		rpms, _ := filepath.Glob(filepath.Join(dist, "redir-*.rpm"))
		if len(debs) == 1 && len(rpms) == 1 {
			built.deb, built.rpm = debs[0], rpms[0]
		}
	})
	if built.err != nil || built.deb == "" {
		t.Fatalf("make package: %v, built %q and %q:\n%s", built.err, built.deb, built.rpm, built.out)
	}
	return built.deb, built.rpm
}

// packageFiles are the files both packages install; debOnly and rpmOnly
// are where Debian and RPM want the licence and the changelog.
var (
	packageFiles = []string{
		"/etc/redir/",
		"/usr/bin/redir",
		"/usr/lib/systemd/system-generators/redir-generator",
		"/usr/lib/systemd/system/redir@.service",
		"/usr/lib/systemd/system/redir@.socket",
		"/usr/share/bash-completion/completions/redir",
		"/usr/share/doc/redir/README.md.gz",
		"/usr/share/doc/redir/examples/http.conf",
		"/usr/share/doc/redir/examples/inetd.conf",
		"/usr/share/doc/redir/examples/transparent.conf",
		"/usr/share/doc/redir/examples/xinetd.redir",
		"/usr/share/fish/vendor_completions.d/redir.fish",
		"/usr/share/man/man1/redir.1.gz",
		"/usr/share/man/man5/redir.conf.5.gz",
	}
	// placed are files both install, with the same bytes, where each
	// distribution looks for them: zsh reads Debian's vendor-completions
	// and Fedora's site-functions.
	placed = []struct{ deb, rpm string }{
		{"/usr/share/zsh/vendor-completions/_redir", "/usr/share/zsh/site-functions/_redir"},
	}
	debOnly = []string{
		"/usr/share/doc/redir/changelog.Debian.gz",
		"/usr/share/doc/redir/copyright",
		"/usr/share/lintian/overrides/redir",
	}
	rpmOnly = []string{"/usr/share/licenses/redir/COPYING"}
)

// TestPackages builds both packages, checks them with lintian and rpmlint
// (the overrides shipped in packaging/ explain every tag left), and
// unpacks each into a scratch root: the same files with the same bytes,
// nothing else but directories, redir -v saying the package's version.
func TestPackages(t *testing.T) {
	deb, rpm := packages(t)
	lintian(t, deb)
	rpmlint(t, rpm)
	debRoot, rpmRoot := t.TempDir(), t.TempDir()
	command(t, "dpkg-deb", "-x", deb, debRoot)
	command(t, "rpm", "--root", rpmRoot, "--dbpath", "/var/lib/rpm", "--initdb")
	command(t, "rpm", "-i", "--root", rpmRoot, "--dbpath", "/var/lib/rpm", "--nodeps", "--noscripts", rpm)
	debFiles, rpmFiles := append(slices.Clone(packageFiles), debOnly...), append(slices.Clone(packageFiles), rpmOnly...)
	for _, p := range placed {
		debFiles, rpmFiles = append(debFiles, p.deb), append(rpmFiles, p.rpm)
	}
	checkTree(t, "the .deb", debRoot, debFiles)
	checkTree(t, "the .rpm", rpmRoot, rpmFiles)
	for _, f := range packageFiles {
		if !strings.HasSuffix(f, "/") && readFile(t, debRoot+f) != readFile(t, rpmRoot+f) {
			t.Errorf("%s differs between the .deb and the .rpm", f)
		}
	}
	for _, p := range placed {
		if readFile(t, debRoot+p.deb) != readFile(t, rpmRoot+p.rpm) {
			t.Errorf("the .deb's %s differs from the .rpm's %s", p.deb, p.rpm)
		}
	}
	for _, f := range []string{"/usr/bin/redir", "/usr/lib/systemd/system-generators/redir-generator"} {
		checkExecutable(t, debRoot+f)
	}
	if got := command(t, debRoot+"/usr/bin/redir", "-v"); got != "redir "+built.version+"\n" {
		t.Errorf("the packaged redir -v says %q, want redir %s", got, built.version)
	}
	control := command(t, "dpkg-deb", "-f", deb, "Package", "Version", "Section", "Architecture")
	if !strings.Contains(control, "Version: "+built.version+"-1\n") || !strings.Contains(control, "Section: net\n") {
		t.Errorf("the .deb's control fields:\n%s", control)
	}
}

// lintian checks the .deb: nothing above info, and no override that did
// not match (an explanation for a tag that is gone).
func lintian(t *testing.T, deb string) {
	t.Helper()
	out, err := exec.Command("lintian", "--fail-on", "warning", "-I", "--tag-display-limit", "0", deb).CombinedOutput()
	text := strings.ReplaceAll(string(out), "running with root privileges is not recommended!\n", "")
	if err != nil || strings.Contains(text, "E: ") || strings.Contains(text, "W: ") || strings.Contains(text, "-override") {
		t.Errorf("lintian %s: %v\n%s", filepath.Base(deb), err, text)
	}
}

// rpmlint checks the .rpm with packaging/rpmlint.toml: no error, no warning.
func rpmlint(t *testing.T, rpm string) {
	t.Helper()
	out, err := exec.Command("rpmlint", "-c", "rpmlint.toml", rpm).CombinedOutput()
	if err != nil || !strings.Contains(string(out), " 0 errors, 0 warnings") {
		t.Errorf("rpmlint %s: %v\n%s", filepath.Base(rpm), err, out)
	}
}

// checkTree checks that root holds exactly want (a trailing slash: a
// directory), apart from the directories leading to them and /var, where
// rpm keeps its database.
func checkTree(t *testing.T, what, root string, want []string) {
	t.Helper()
	var got []string
	filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		rel := strings.TrimPrefix(path, root)
		switch {
		case err != nil:
			t.Error(err)
		case rel == "/var" || strings.HasPrefix(rel, "/var/"): // rpm's database
		case !info.IsDir():
			got = append(got, rel)
		case !slices.ContainsFunc(want, func(w string) bool { return strings.HasPrefix(w, rel+"/") && w != rel+"/" }):
			got = append(got, rel+"/") // a directory the package has for itself
		}
		return nil
	})
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s installs\n  %s\nwant\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// checkExecutable checks that path is a static x86-64 or arm64 ELF
// executable, mode 0755.
func checkExecutable(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer f.Close()
	if f.Type != elf.ET_EXEC || f.Section(".interp") != nil {
		t.Errorf("%s is not a static executable (type %v)", path, f.Type)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o755 {
		t.Errorf("%s: mode %v, %v; want 0755", path, info.Mode(), err)
	}
}
