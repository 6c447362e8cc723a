package conffile

import (
	"fmt"
	"maps"
	"strings"
)

// Kind says what a key's value is.
type Kind int

const (
	// Value is an option's argument, checked by redir's option parser.
	Value Kind = iota
	// Flag is a boolean option: true, yes, on, 1 or false, no, off, 0.
	Flag
	// ListenKind is a listen line: what systemd's ListenStream= takes for
	// TCP (see ParseListen). It may be repeated.
	ListenKind
	// TargetKind is [DST]:PORT, as redir's DST argument.
	TargetKind
)

// keys are redir's long option names that a file may set, with listen and
// target for SRC and DST. Read only.
var keys = map[string]Kind{
	"bind": Value, "ftp": Value, "ident": Value, "loglevel": Value,
	"foreground": Flag, "transproxy": Flag, "syslog": Flag,
	"timeout": Value, "connect": Value,
	"max-bandwidth": Value, "wait-in-out": Value, "random-wait": Value, "bufsize": Value,
	"connect-timeout": Value, "drain-timeout": Value, "max-connections": Value,
	"exit-idle-time": Value, "proxy-protocol": Value,
	"listen": ListenKind, "target": TargetKind,
}

// aliases are the other spellings redir's command line takes, accepted in
// a file too so that one name works in both places.
var aliases = map[string]string{
	"bind_addr":     "bind",
	"name":          "ident",
	"max_bandwidth": "max-bandwidth",
	"wait_in_out":   "wait-in-out",
	"random_wait":   "random-wait",
}

// refused are option names that make no sense in a file, with why.
var refused = map[string]string{
	"help":    "it is a command-line option only",
	"version": "it is a command-line option only",
	"inetd":   "give -i on the command line inetd runs",
	"config":  "a file cannot name another one",
	"laddr":   "use listen = ADDRESS:PORT",
	"lport":   "use listen = PORT",
	"caddr":   "use target = [DST]:PORT",
	"cport":   "use target = [DST]:PORT",
	"src":     "use listen",
	"dst":     "use target",
}

// Keys returns every key a file may hold with its kind, without aliases.
func Keys() map[string]Kind { return maps.Clone(keys) }

// Refused reports whether name is an option name that a file may not set.
func Refused(name string) bool {
	_, ok := refused[name]
	return ok
}

// lookupKey returns the canonical key for name as written, or an error
// that says what is wrong with it.
func lookupKey(name string) (string, Kind, error) {
	if canon, ok := aliases[name]; ok {
		name = canon
	}
	if kind, ok := keys[name]; ok {
		return name, kind, nil
	}
	if why, ok := refused[name]; ok {
		return "", 0, fmt.Errorf("key %q is not allowed in a file: %s", name, why)
	}
	if near := strings.ReplaceAll(strings.ToLower(name), "_", "-"); near != name {
		if _, ok := keys[near]; ok {
			return "", 0, fmt.Errorf("unknown key %q (did you mean %q?)", name, near)
		}
	}
	return "", 0, fmt.Errorf("unknown key %q", name)
}

// parseFlag reads a boolean value.
func parseFlag(v string) (bool, error) {
	switch v {
	case "true", "yes", "on", "1":
		return true, nil
	case "false", "no", "off", "0":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q: want true, yes, on, 1, false, no, off or 0", v)
}
