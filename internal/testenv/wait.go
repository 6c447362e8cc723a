package testenv

import (
	"strings"
	"testing"
	"time"
)

// WaitFor polls up to 15 s for get to return text n times, and fails the
// test with what get returns then; what names the text in that message.
func WaitFor(t testing.TB, what string, get func() string, text string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(get(), text) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%s does not say %q %d times after 15s:\n%s", what, text, n, get())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
