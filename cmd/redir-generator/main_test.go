package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// generatorBin is redir-generator, built once for the tests that run it as
// systemd does.
var generatorBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redir-generator-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	generatorBin = filepath.Join(dir, "redir-generator")
	cmd := exec.Command("go", "build", "-o", generatorBin, ".")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building redir-generator:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runGenerator runs the binary on confDir with args and returns its exit
// status and stderr.
func runGenerator(t *testing.T, confDir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(generatorBin, args...)
	cmd.Env = append(os.Environ(), confDirEnv+"="+confDir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), stderr.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, stderr.String()
}

// writeFiles creates each file (a name ending in "/" is a directory).
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// tree returns every regular file under dir with its contents, by path
// relative to dir.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// outDirs makes the three output directories systemd passes.
func outDirs(t *testing.T) (normal, early, late string) {
	t.Helper()
	base := t.TempDir()
	normal, early, late = filepath.Join(base, "generator"), filepath.Join(base, "generator.early"), filepath.Join(base, "generator.late")
	for _, d := range []string{normal, early, late} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return normal, early, late
}

// TestGenerate: a drop-in for each usable conf, with the listen lines in
// order after an empty ListenStream=, but for those with a %zone, which
// systemd refuses: each is left out with a line naming its file and line;
// every other conf is skipped with a line naming it and why; files not
// ending in .conf are not looked at. A '%' in a setting is escaped.
func TestGenerate(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "conf%i")
	writeFiles(t, conf, map[string]string{
		"http.conf":           "# web\nlisten = 80\nlisten = [::1]:8080\nlisten = 127.0.0.1:08081\ntarget = backend:http\nloglevel = info\n",
		"api-2_b.conf":        "listen=[fe80::1%lo]:9000\nlisten = [::1]:9000\ntarget = [::1]:9001\n",
		"zoned.conf":          "listen = [fe80::1%eth0]:80\ntarget = :81\n",
		"bad.conf":            "listen = 80\nmaxbw = 1\ntarget = :81\n",
		"nolisten.conf":       "target = :81\n",
		"notarget.conf":       "listen = 81\n",
		"my web.conf":         "listen = 82\ntarget = :83\n",
		"a@b.conf":            "listen = 84\ntarget = :85\n",
		".conf":               "listen = 86\ntarget = :87\n",
		"dir.conf/":           "",
		"README":              "not a conf",
		"old.conf.dpkg-old":   "listen = 88\n",
		"sub/nested.conf":     "listen = 89\ntarget = :90\n",
		"unreadable.conf.bak": "x",
	})
	normal, early, late := outDirs(t)
	code, stderr := runGenerator(t, conf, normal, early, late)
	if code != 0 {
		t.Fatalf("exit status %d, want 0; stderr:\n%s", code, stderr)
	}
	checkGenerated(t, conf, normal)
	for _, d := range []string{early, late} {
		if files := tree(t, d); len(files) != 0 {
			t.Errorf("%s holds %v, want nothing", d, files)
		}
	}
	checkSkipped(t, stderr, conf)
}

// checkGenerated checks TestGenerate's drop-ins, and that there are no others.
func checkGenerated(t *testing.T, conf, normal string) {
	t.Helper()
	header := func(name string) string {
		p := filepath.Join(conf, name+".conf")
		return "# Written by redir-generator from the listen lines of " + p + ".\n" +
			"# Edit that file, then run \"systemctl daemon-reload\"; see redir.conf(5).\n" +
			"[Unit]\nSourcePath=" + strings.ReplaceAll(p, "%", "%%") + "\n\n[Socket]\nListenStream=\n"
	}
	want := map[string]string{
		"redir@http.socket.d/50-listen.conf":    header("http") + "ListenStream=80\nListenStream=[::1]:8080\nListenStream=127.0.0.1:8081\n",
		"redir@api-2_b.socket.d/50-listen.conf": header("api-2_b") + "ListenStream=[::1]:9000\n",
	}
	got := tree(t, normal)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("generated\n%q\nwant\n%q", got, want)
	}
}

// checkSkipped checks that stderr has one line for each unusable conf.
func checkSkipped(t *testing.T, stderr, conf string) {
	t.Helper()
	p := func(name string) string { return regexp.QuoteMeta(filepath.Join(conf, name)) }
	zone := func(line, value string) string {
		return ":" + line + ": listen: " + regexp.QuoteMeta(value) + ": systemd's ListenStream= takes no %zone; " +
			`write the address without it and add BindToDevice= in a drop-in of the socket \(see redir.conf\(5\)\)$`
	}
	wants := []string{
		p(".conf") + `: instance name "": want 1 to 241 characters`,
		p("a@b.conf") + `: instance name "a@b": want only letters, digits, '-', '_', '.' and ':'`,
		p("api-2_b.conf") + zone("1", "[fe80::1%lo]:9000"),
		p("bad.conf") + `: ` + p("bad.conf") + `:2: unknown key "maxbw"`,
		p("dir.conf") + `: read ` + p("dir.conf") + `: is a directory`,
		p("my web.conf") + `: instance name "my web": want only`,
		p("nolisten.conf") + `: no listen line systemd can take: redir@nolisten.socket would have nowhere to listen`,
		p("notarget.conf") + `: no target line: redir@notarget.service would have nowhere to relay to`,
		p("zoned.conf") + zone("1", "[fe80::1%eth0]:80"),
		p("zoned.conf") + `: no listen line systemd can take: redir@zoned.socket would have nowhere to listen`,
	}
	lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
	if len(lines) != len(wants) {
		t.Fatalf("stderr has %d lines, want %d:\n%s", len(lines), len(wants), stderr)
	}
	for i, w := range wants {
		if !regexp.MustCompile(`^redir-generator: skipping ` + w).MatchString(lines[i]) {
			t.Errorf("stderr line %d: %q\nwant it to match %q", i+1, lines[i], w)
		}
	}
}

// TestNoConfDir: no /etc/redir means nothing is configured, which is fine.
func TestNoConfDir(t *testing.T) {
	normal, early, late := outDirs(t)
	code, stderr := runGenerator(t, filepath.Join(t.TempDir(), "none"), normal, early, late)
	if code != 0 || stderr != "" || len(tree(t, normal)) != 0 {
		t.Errorf("exit status %d, stderr %q, output %v; want 0, nothing, nothing", code, stderr, tree(t, normal))
	}
}

// TestOutputUnusable: an output directory that cannot be written is the
// one failure the generator reports with its exit status.
func TestOutputUnusable(t *testing.T) {
	conf := t.TempDir()
	writeFiles(t, conf, map[string]string{"a.conf": "listen = 80\ntarget = :81\n"})
	file := filepath.Join(t.TempDir(), "file")
	writeFiles(t, filepath.Dir(file), map[string]string{"file": ""})
	code, stderr := runGenerator(t, conf, file, file, file)
	if code != 1 || !strings.HasPrefix(stderr, "redir-generator: writing the drop-in: mkdir "+file+": not a directory") {
		t.Errorf("exit status %d, stderr %q; want 1 and the mkdir error", code, stderr)
	}
}

// TestUsage: without an output directory the generator cannot be run.
func TestUsage(t *testing.T) {
	code, stderr := runGenerator(t, t.TempDir())
	if code != 2 || stderr != "redir-generator: usage: redir-generator NORMAL-DIR [EARLY-DIR [LATE-DIR]]\n" {
		t.Errorf("exit status %d, stderr %q; want 2 and the usage line", code, stderr)
	}
}
