package systemd

import (
	"fmt"
	"os"
	"testing"
)

// childEnv makes the test binary one of the child processes the tests
// start, rather than run the tests: "journal" sends records to journald
// (from inside journald's mount namespace), "stream" prints whether its
// stderr is the journal stream.
const childEnv = "SYSTEMD_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "journal":
		os.Exit(journalChild())
	case "stream":
		fmt.Println(JournalStream())
		os.Exit(0)
	}
	fmt.Fprintf(os.Stderr, "unknown %s=%s\n", childEnv, os.Getenv(childEnv))
	os.Exit(2)
}

// testBinary is this test binary, for re-executing it as a child.
func testBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}
