package systemd

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestJournalStream runs the test binary with stderr on one end of a
// socket pair, as systemd connects a service's stderr to journald, and
// JOURNAL_STREAM set to various values.
func TestJournalStream(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	ours, other := os.NewFile(uintptr(fds[0]), "stream"), os.NewFile(uintptr(fds[1]), "peer")
	t.Cleanup(func() { ours.Close(); other.Close() })
	tests := []struct {
		name   string
		stream string // JOURNAL_STREAM; "-" for unset
		stderr *os.File
		want   bool
	}{
		{"stderr is the stream", devIno(t, ours), ours, true},
		{"another socket", devIno(t, other), ours, false},
		{"unset", "-", ours, false},
		{"malformed", "12:x", ours, false},
		{"no colon", "12", ours, false},
		{"stderr a pipe", devIno(t, ours), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := journalStreamChild(t, tt.stream, tt.stderr); got != fmt.Sprint(tt.want) {
				t.Errorf("JournalStream() = %s, want %v", got, tt.want)
			}
		})
	}
}

// journalStreamChild runs the test binary's stream child with
// JOURNAL_STREAM=stream ("-" for unset) and stderr on the given file, or a
// pipe if it is nil, and returns what the child printed: whether
// JournalStream() holds.
func journalStreamChild(t *testing.T, stream string, stderr *os.File) string {
	t.Helper()
	cmd := exec.Command(testBinary(t))
	cmd.Env = []string{childEnv + "=stream", "GORACE=atexit_sleep_ms=0"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "JOURNAL_STREAM=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if stream != "-" {
		cmd.Env = append(cmd.Env, "JOURNAL_STREAM="+stream)
	}
	var pipe strings.Builder
	cmd.Stderr = &pipe // a pipe, unless:
	if stderr != nil {
		cmd.Stderr = stderr
	}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v %s", err, pipe.String())
	}
	return strings.TrimSpace(string(out))
}

func devIno(t *testing.T, f *os.File) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}
