package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// redirBin is the redir binary built once for the process-level tests, with
// the race detector when the tests themselves run with it.
var redirBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redir-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	redirBin = filepath.Join(dir, "redir")
	args := []string{"build", "-o", redirBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	cmd := exec.Command("go", append(args, ".")...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building redir:", err)
		os.Exit(1)
	}
	// A -race binary sleeps a second before it exits unless told not to;
	// every redir the tests start inherits this.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
