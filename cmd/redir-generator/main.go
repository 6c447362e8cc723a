// Command redir-generator is a systemd generator (systemd.generator(7)),
// installed as /usr/lib/systemd/system-generators/redir-generator. systemd
// runs it at boot and on every daemon-reload with three output
// directories; for each instance config file /etc/redir/NAME.conf
// (redir.conf(5)) it writes into the first one the drop-in
// redir@NAME.socket.d/50-listen.conf, whose ListenStream= lines are the
// file's listen lines. That is how "systemctl enable --now
// redir@NAME.socket" learns where to listen: systemd cannot take an
// address from an instance name.
//
// A file it cannot use (a name that is no valid instance name, a syntax
// error, no listen or no target line) is logged and skipped: a bad file
// must not fail the boot. It exits non-zero only when it cannot write its
// output. It reads only local files and never touches the network.
//
// REDIR_CONF_DIR replaces /etc/redir, for tests.
package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/redir-project/redir/cmd/internal/conffile"
	"github.com/redir-project/redir/systemd"
)

const (
	confDirEnv     = "REDIR_CONF_DIR"
	defaultConfDir = "/etc/redir"
	dropInName     = "50-listen.conf"
	// maxInstance keeps "redir@NAME.service" within systemd's 255 bytes.
	maxInstance = 255 - len("redir@.service")
)

func main() {
	confDir := os.Getenv(confDirEnv)
	if confDir == "" {
		confDir = defaultConfDir
	}
	os.Exit(run(os.Args, confDir, newLogger(os.Stderr, "/dev/kmsg", systemd.JournalSocket)))
}

// run is the whole generator but for os.Exit; it returns the exit status.
func run(args []string, confDir string, log *logger) int {
	if len(args) < 2 || len(args) > 4 || args[1] == "" {
		log.printf("usage: redir-generator NORMAL-DIR [EARLY-DIR [LATE-DIR]]")
		return 2
	}
	paths, err := confFiles(confDir)
	if err != nil {
		log.printf("%v", err) // nothing configured that can be read: no socket
		return 0
	}
	for _, path := range paths {
		err := generate(args[1], path, log)
		var outErr *outputError
		if errors.As(err, &outErr) {
			log.printf("%v", err)
			return 1
		}
		if err != nil {
			log.printf("skipping %s: %v", path, err)
		}
	}
	return 0
}

// confFiles lists dir's *.conf files, sorted (os.ReadDir sorts them). A
// missing dir is no error: no instance is configured.
func confFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".conf") {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	return paths, nil
}

// outputError is a failure to write into the output directory: the
// generator cannot do its job for any file, so it stops.
type outputError struct{ err error }

func (e *outputError) Error() string { return "writing the drop-in: " + e.err.Error() }
func (e *outputError) Unwrap() error { return e.err }

// generate writes the drop-in for the conf at path into out; log gets
// the listen lines it leaves out.
func generate(out, path string, log *logger) error {
	name := strings.TrimSuffix(filepath.Base(path), ".conf")
	if err := checkInstance(name); err != nil {
		return err
	}
	if strings.Contains(path, "\n") {
		return errors.New("a newline in the path: a unit file cannot name it")
	}
	f, err := conffile.Load(path)
	if err != nil {
		return err
	}
	listen := systemdListen(f, log)
	if len(listen) == 0 {
		return errors.New("no listen line systemd can take: redir@" + name + ".socket would have nowhere to listen")
	}
	if _, ok := f.Get("target"); !ok {
		return errors.New("no target line: redir@" + name + ".service would have nowhere to relay to")
	}
	dir := filepath.Join(out, "redir@"+name+".socket.d")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return &outputError{err}
	}
	if err := os.WriteFile(filepath.Join(dir, dropInName), []byte(dropIn(f.Path, listen)), 0o644); err != nil {
		return &outputError{err}
	}
	return nil
}

// systemdListen returns f's listen lines as ListenStream= values, but for
// those with a %zone, which systemd's ListenStream= refuses (version 252
// fails to parse the address): each is logged with its file and line.
func systemdListen(f *conffile.File, log *logger) []string {
	var vals []string
	for _, e := range f.Entries {
		if e.Key != "listen" {
			continue
		}
		if e.Listen.Addr.Zone() != "" {
			log.printf("skipping %v", f.Err(e, fmt.Errorf("%s: systemd's ListenStream= takes no %%zone; "+
				"write the address without it and add BindToDevice= in a drop-in of the socket (see redir.conf(5))", e.Value)))
			continue
		}
		vals = append(vals, e.Listen.String())
	}
	return vals
}

// dropIn is the drop-in's text for the conf at path. The empty
// ListenStream= drops any address the unit itself has, so the conf alone
// says where to listen. Settings have their '%' escaped: systemd expands
// specifiers in them.
func dropIn(path string, listen []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by redir-generator from the listen lines of %s.\n", path)
	b.WriteString("# Edit that file, then run \"systemctl daemon-reload\"; see redir.conf(5).\n")
	fmt.Fprintf(&b, "[Unit]\nSourcePath=%s\n\n[Socket]\nListenStream=\n", escape(path))
	for _, l := range listen {
		fmt.Fprintf(&b, "ListenStream=%s\n", escape(l))
	}
	return b.String()
}

// escape escapes s for a unit file setting that expands specifiers.
func escape(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// checkInstance accepts an instance name made of letters, digits, '-',
// '_', '.' and ':', characters that need no escaping in a unit name nor
// quoting in a shell.
func checkInstance(name string) error {
	if name == "" || len(name) > maxInstance {
		return fmt.Errorf("instance name %q: want 1 to %d characters", name, maxInstance)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return fmt.Errorf("instance name %q: want only letters, digits, '-', '_', '.' and ':'", name)
		}
	}
	return nil
}
