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
			cmd := exec.Command(testBinary(t))
			cmd.Env = []string{childEnv + "=stream", "GORACE=atexit_sleep_ms=0"}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "JOURNAL_STREAM=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			if tt.stream != "-" {
				cmd.Env = append(cmd.Env, "JOURNAL_STREAM="+tt.stream)
			}
			var pipe strings.Builder
			cmd.Stderr = &pipe // a pipe, unless:
			if tt.stderr != nil {
				cmd.Stderr = tt.stderr
			}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v %s", err, pipe.String())
			}
			if got := strings.TrimSpace(string(out)); got != fmt.Sprint(tt.want) {
				t.Errorf("JournalStream() = %s, want %v", got, tt.want)
			}
		})
	}
}

func devIno(t *testing.T, f *os.File) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d:%d", st.Dev, st.Ino)
}
