package systemd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// journaldPath is where Debian's systemd package puts journald.
const journaldPath = "/lib/systemd/systemd-journald"

// journaldScript runs in a private mount namespace: a tmpfs on /run (so
// journald's sockets are private), one on /var/log/journal when it exists
// (so nothing is stored there), the test's directory bound onto
// /run/log/journal, where journald then keeps its files.
const journaldScript = `set -e
mount -t tmpfs tmpfs /run
if [ -d /var/log/journal ]; then mount -t tmpfs tmpfs /var/log/journal; fi
mkdir -p /run/log/journal
mount --bind "$1" /run/log/journal
exec ` + journaldPath

// startJournald starts a real journald in a mount namespace of its own
// that stores into dir, waits for its socket and returns its pid (the
// namespace's only process, gone with it at cleanup).
func startJournald(t *testing.T, dir string) int {
	t.Helper()
	for _, tool := range []string{journaldPath, "journalctl", "unshare", "nsenter", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%v: install Debian's systemd and util-linux packages", err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("journald in a private mount namespace needs root (CI runs as root)")
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", journaldScript, "sh", dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { stopProcess(t, cmd.Process, exited) })
	sock := fmt.Sprintf("/proc/%d/root%s", cmd.Process.Pid, JournalSocket)
	for range 250 {
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("journald exited: %v\n%s", err, out.String())
		case <-time.After(20 * time.Millisecond):
		}
		if fi, err := os.Stat(sock); err == nil && fi.Mode().Type() == os.ModeSocket {
			return cmd.Process.Pid
		}
	}
	t.Fatalf("no %s after 5s\n%s", sock, out.String())
	return 0
}

// stopProcess ends p with SIGTERM, with SIGKILL if it lingers.
func stopProcess(t *testing.T, p *os.Process, exited chan error) {
	p.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		t.Errorf("pid %d still running 5s after SIGTERM: killed", p.Pid)
		p.Kill()
		<-exited
	}
}

// journalEntries reads the entries of one test run from dir, polling
// until the last record ("done") is there: journald stores records a
// little after it receives them.
func journalEntries(t *testing.T, dir, run string) map[string]map[string]any {
	t.Helper()
	for range 100 {
		cmd := exec.Command("journalctl", "-D", dir, "--all", "-o", "json", "TEST_RUN="+run)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("journalctl: %v", err)
		}
		byMessage := map[string]map[string]any{}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("journalctl output: %v", err)
			}
			msg := fmt.Sprint(e["MESSAGE"])
			if byMessage[msg] != nil {
				t.Errorf("two entries %q", msg)
			}
			byMessage[msg] = e
		}
		if byMessage["done"] != nil {
			return byMessage
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the records did not reach the journal within 10s")
	return nil
}

// TestJournald sends records from inside a real journald's namespace,
// through the default socket, and reads them back with journalctl.
func TestJournald(t *testing.T) {
	dir := t.TempDir()
	pid := startJournald(t, dir)
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(pid), "-m", "--", testBinary(t))
	cmd.Env = append(os.Environ(), childEnv+"=journal", "TEST_RUN="+run, "GORACE=atexit_sleep_ms=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := journalEntries(t, dir, run)

	closed := got["connection closed"]
	checkJSON(t, closed, map[string]string{
		"SYSLOG_IDENTIFIER": "redir-test", "PRIORITY": "6", "_TRANSPORT": "journal",
		"CONN": "42", "CLIENT": "127.0.0.1:40000", "LOCAL": "127.0.0.1:1234", "TARGET": "127.0.0.1:8080",
		"BYTES_FROM_CLIENT": "1234", "BYTES_FROM_TARGET": "5678", "DURATION": "1.5s", "REASON": "eof",
	})
	if closed["SYSLOG_PID"] == nil || closed["SYSLOG_PID"] != closed["_PID"] {
		t.Errorf("SYSLOG_PID %v, but journald saw _PID %v", closed["SYSLOG_PID"], closed["_PID"])
	}
	checkJSON(t, got["multi-line"], map[string]string{"PRIORITY": "4", "TEXT": multiLine})
	checkJSON(t, got["notice"], map[string]string{"PRIORITY": "5"})
	checkJSON(t, got["grouped"], map[string]string{"TGT_ADDR": "192.0.2.1:80"})
	blob := oversizeBlob()
	checkJSON(t, got["oversize"], map[string]string{"PRIORITY": "3", "BLOB": blob})
	wmem, err := os.ReadFile("/proc/sys/net/core/wmem_default")
	if n, _ := strconv.Atoi(strings.TrimSpace(string(wmem))); err != nil || len(blob) <= n {
		t.Errorf("a %d-byte entry fits a datagram (wmem_default %q, %v): the memfd path went untested", len(blob), wmem, err)
	}
	if got["filtered"] != nil {
		t.Error("a debug record reached the journal at level info")
	}
	if len(got) != 6 {
		t.Errorf("%d entries, want 6", len(got))
	}
}

// checkJSON reports every field of want that entry (a journalctl -o json
// line) lacks or has with another value.
func checkJSON(t *testing.T, entry map[string]any, want map[string]string) {
	t.Helper()
	if entry == nil {
		t.Errorf("no entry with %.100q", want)
		return
	}
	for k, v := range want {
		if got, ok := entry[k].(string); !ok || got != v {
			t.Errorf("%s = %.200q, want %.200q", k, entry[k], v)
		}
	}
}

const multiLine = "line one\nline two\n\nline four"

func oversizeBlob() string { return strings.Repeat("0123456789abcdef", 300<<10/16) }

// journalChild sends the records TestJournald looks for, through the
// default socket, and fails when any send does.
func journalChild() int {
	if !JournalAvailable() {
		fmt.Fprintln(os.Stderr, "JournalAvailable() is false in journald's namespace")
		return 1
	}
	h, err := NewJournalHandler(JournalOptions{Identifier: "redir-test", Level: slog.LevelInfo})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer h.Close()
	var sendErr error
	log := slog.New(errHandler{h, &sendErr}).With("test_run", os.Getenv("TEST_RUN"))
	log.With("conn", 42, "client", "127.0.0.1:40000").Info("connection closed",
		"local", "127.0.0.1:1234", "target", "127.0.0.1:8080", "bytes_from_client", 1234,
		"bytes_from_target", 5678, "duration", 1500*time.Millisecond, "reason", "eof")
	log.Warn("multi-line", "text", multiLine)
	log.Error("oversize", "blob", oversizeBlob())
	log.Debug("filtered")
	log.Log(context.Background(), LevelNotice, "notice")
	log.WithGroup("tgt").Info("grouped", "addr", "192.0.2.1:80")
	log.Info("done")
	if sendErr != nil {
		fmt.Fprintln(os.Stderr, sendErr)
		return 1
	}
	return 0
}

// errHandler keeps the first error its handler returns, which slog.Logger
// would drop.
type errHandler struct {
	slog.Handler
	err *error
}

func (h errHandler) Handle(ctx context.Context, r slog.Record) error {
	if err := h.Handler.Handle(ctx, r); err != nil && *h.err == nil {
		*h.err = err
	}
	return nil
}

func (h errHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return errHandler{h.Handler.WithAttrs(as), h.err}
}

func (h errHandler) WithGroup(name string) slog.Handler {
	return errHandler{h.Handler.WithGroup(name), h.err}
}
