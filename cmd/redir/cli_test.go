package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runRedir runs the built binary with args and returns its exit status,
// standard output and standard error. It gives up after 10 seconds: every
// invocation here ends at once without serving.
func runRedir(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, redirBin, args...)
	// A race-enabled binary sleeps a second at every exit 0 to catch late
	// races; these processes start no goroutines worth waiting for.
	cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		code = exit.ExitCode()
	default:
		t.Fatalf("redir %q: %v (stderr %q)", args, err, errOut.String())
	}
	return code, out.String(), errOut.String()
}

// TestCLIBadArgs checks that bad input exits 2 with one line on stderr
// that names the bad value, and nothing on stdout.
func TestCLIBadArgs(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus", ":80", ":90"}, "--bogus"},
		{[]string{}, "missing arguments"},
		{[]string{":8080"}, `":8080"`},
		{[]string{":80", ":90", ":100"}, ":100"},
		{[]string{"127.0.0.1:0", ":90"}, `invalid port "0" in "127.0.0.1:0"`},
		{[]string{":70000", ":90"}, `"70000"`},
		{[]string{":nosuch", ":90"}, `unknown service "nosuch" in ":nosuch"`},
		{[]string{"::1:80", ":90"}, `"::1:80"`},
		{[]string{"-l", "loud", ":80", ":90"}, `unknown log level "loud"`},
		{[]string{":80", ":90", "-t"}, "--timeout"},
		{[]string{"-t", "-5", ":80", ":90"}, `"-5"`},
		{[]string{"--lport=80"}, "--cport"},
		{[]string{"-z", "100", ":80", ":90"}, `-z/--bufsize "100"`},
	}
	for _, tt := range tests {
		code, stdout, stderr := runRedir(t, tt.args...)
		line := strings.TrimSuffix(stderr, "\n")
		switch {
		case code != 2:
			t.Errorf("redir %q: exit status %d, want 2 (stderr %q)", tt.args, code, stderr)
		case stdout != "":
			t.Errorf("redir %q: wrote %q to stdout, want nothing", tt.args, stdout)
		case strings.Contains(line, "\n") || !strings.HasSuffix(stderr, "\n"):
			t.Errorf("redir %q: stderr %q, want one line", tt.args, stderr)
		case !strings.HasPrefix(line, "redir: ") || !strings.Contains(line, tt.want):
			t.Errorf("redir %q: stderr %q, want \"redir: ...%s...\"", tt.args, stderr, tt.want)
		}
	}
}

// TestCLIHelpVersion checks that -h and -v print to stdout and exit 0.
func TestCLIHelpVersion(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-h"}, "Usage: redir"},
		{[]string{"--help"}, "--max-connections=N"},
		{[]string{"-v"}, "redir "},
		{[]string{"--version"}, "redir "},
	}
	for _, tt := range tests {
		code, stdout, stderr := runRedir(t, tt.args...)
		if code != 0 || stderr != "" || !strings.Contains(stdout, tt.want) {
			t.Errorf("redir %q: exit %d, stdout %q, stderr %q; want 0, %q on stdout, nothing on stderr",
				tt.args, code, stdout, stderr, tt.want)
		}
	}
}
