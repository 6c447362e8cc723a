package activation

import (
	"slices"
	"strings"
	"testing"
)

// fakeEnv is a process environment in a map, recording what was unset.
type fakeEnv struct {
	vars  map[string]string
	unset []string
}

func (f *fakeEnv) env(pid int) env {
	return env{
		getenv:   func(k string) string { return f.vars[k] },
		unsetenv: func(k string) error { delete(f.vars, k); f.unset = append(f.unset, k); return nil },
		pid:      pid,
	}
}

// listenEnvCase is an environment and what activated and listenFDs must
// make of it for process 42.
type listenEnvCase struct {
	name      string
	vars      map[string]string
	activated bool
	n         int
	names     []string
	err       string // in the error; "" for none
}

func TestListenEnv(t *testing.T) {
	tests := []listenEnvCase{
		{"ours, named", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a:b"}, true, 2, []string{"a", "b"}, ""},
		{"ours, unnamed", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "3"}, true, 3, []string{"", "", ""}, ""},
		{"another process's", map[string]string{"LISTEN_PID": "41", "LISTEN_FDS": "2"}, false, 0, nil, ""},
		{"no pid", map[string]string{"LISTEN_FDS": "2"}, false, 0, nil, ""},
		{"no fds", map[string]string{"LISTEN_PID": "42"}, false, 0, nil, ""},
		{"nothing", map[string]string{}, false, 0, nil, ""},
		{"zero", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "0"}, true, 0, nil, `LISTEN_FDS="0"`},
		{"not a number", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "two"}, true, 0, nil, `LISTEN_FDS="two"`},
		{"too many", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "100000"}, true, 0, nil, `"100000"`},
		{"names short", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "a"}, true, 0, nil, `LISTEN_FDNAMES="a" names 1 sockets, LISTEN_FDS=2`},
		{"names long", map[string]string{"LISTEN_PID": "42", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "a:b"}, true, 0, nil, `names 2 sockets`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkListenEnv(t, tt) })
	}
}

// checkListenEnv checks what activated and listenFDs make of tt's
// environment, and that listenFDs removes the variables from it.
func checkListenEnv(t *testing.T, tt listenEnvCase) {
	f := &fakeEnv{vars: tt.vars}
	e := f.env(42)
	if got := e.activated(); got != tt.activated {
		t.Errorf("activated() = %v, want %v", got, tt.activated)
	}
	n, names, err := e.listenFDs()
	switch {
	case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
		t.Errorf("error %v, want one containing %q", err, tt.err)
	case tt.err == "" && err != nil:
		t.Errorf("error %v", err)
	case n != tt.n || !slices.Equal(names, tt.names):
		t.Errorf("got %d sockets named %q, want %d named %q", n, names, tt.n, tt.names)
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		if _, ok := f.vars[k]; ok || !slices.Contains(f.unset, k) {
			t.Errorf("%s not removed from the environment", k)
		}
	}
}
