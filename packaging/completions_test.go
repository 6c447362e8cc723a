package packaging

import (
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The shell completions, loaded by the real shells.

// helpOptions returns every option redir -h lists, long and short.
func helpOptions(t *testing.T) (long, short []string) {
	t.Helper()
	help := command(t, redirBin, "-h")
	for _, m := range regexp.MustCompile(`--[a-z][a-z_-]+`).FindAllString(help, -1) {
		if !slices.Contains(long, m) {
			long = append(long, m)
		}
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+(-[a-zA-Z]),`).FindAllStringSubmatch(help, -1) {
		short = append(short, m[1])
	}
	if len(long) < 20 || len(short) < 14 {
		t.Fatalf("found only %q and %q in redir -h:\n%s", long, short, help)
	}
	return long, short
}

// TestCompletionsCoverEveryOption: each completion names every option
// redir -h lists, in that shell's syntax.
func TestCompletionsCoverEveryOption(t *testing.T) {
	long, short := helpOptions(t)
	files := map[string]struct{ long, short func(string) string }{
		"completions/redir.bash": {func(o string) string { return o }, func(o string) string { return o + " " }},
		"completions/redir.zsh":  {func(o string) string { return o }, func(o string) string { return o }},
		"completions/redir.fish": {
			func(o string) string { return "-l " + o[2:] + " " },
			func(o string) string { return "-s " + o[1:] + " " },
		},
	}
	for file, form := range files {
		text := readFile(t, file)
		for _, o := range long {
			if !strings.Contains(text, form.long(o)) {
				t.Errorf("%s does not complete %s", file, o)
			}
		}
		for _, o := range short {
			if !strings.Contains(text, form.short(o)) {
				t.Errorf("%s does not complete %s", file, o)
			}
		}
	}
}

// TestManPageCoversEveryOption: redir(1) has an item for every option
// redir -h lists, long and short.
func TestManPageCoversEveryOption(t *testing.T) {
	long, short := helpOptions(t)
	var items []string
	for _, line := range strings.Split(readFile(t, "redir.1"), "\n") {
		if strings.HasPrefix(line, ".It Fl ") {
			items = append(items, line+" ")
		}
	}
	// "Fl \-bind Ns = Ns Ar IP", "Fl \-help ,", "Fl b Ar IP", "Fl h ,".
	for _, o := range append(long, short...) {
		want := "Fl " + o[1:] + " "
		if strings.HasPrefix(o, "--") {
			want = `Fl \` + o[1:] + " "
		}
		if !slices.ContainsFunc(items, func(l string) bool { return strings.Contains(l, want) }) {
			t.Errorf("redir.1 has no .It for %s", o)
		}
	}
}

// TestBashCompletion runs the function as bash's programmable completion
// would, with the words split at "=" as COMP_WORDBREAKS does.
func TestBashCompletion(t *testing.T) {
	for words, want := range map[string]string{
		"redir --exit":                         "--exit-idle-time=",
		"redir --proxy":                        "--proxy-protocol=",
		"redir --loglevel = in":                "info",
		"redir -l ''":                          "none err notice info debug",
		"redir --proxy-protocol = ''":          "v1 v2",
		"redir -f p":                           "port pasv",
		"redir -o ''":                          "1 2 3",
		"redir --config = completions/redir.b": "completions/redir.bash",
		"redir --drain-timeout ''":             "",
	} {
		script := `source completions/redir.bash; COMP_WORDS=(` + words + `); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _redir; echo "${COMPREPLY[*]}"`
		out, err := exec.Command("bash", "-c", script).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != want {
			t.Errorf("completing %q: got %q (%v), want %q", words, out, err, want)
		}
	}
}

// TestFishCompletion asks fish itself what it would complete.
func TestFishCompletion(t *testing.T) {
	for line, want := range map[string][]string{
		"redir --exit":                       {"--exit-idle-time"},
		"redir --proxy-protocol ":            {"v1", "v2"},
		"redir --loglevel=n":                 {"--loglevel=none", "--loglevel=notice"},
		"redir -f ":                          {"both", "pasv", "port"},
		"redir --max-conn":                   {"--max-connections"},
		"redir --config completions/redir.f": {"completions/redir.fish"},
	} {
		out := command(t, "fish", "--no-config", "-c", "source completions/redir.fish; complete -C '"+line+"'")
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			got = append(got, strings.SplitN(l, "\t", 2)[0])
		}
		if !slices.Equal(got, want) {
			t.Errorf("fish completes %q with %q, want %q", line, got, want)
		}
	}
}

// TestZshCompletion: zsh parses the file, and compinit takes it as the
// completion for redir.
func TestZshCompletion(t *testing.T) {
	command(t, "zsh", "-n", "completions/redir.zsh")
	dir := t.TempDir()
	writeFile(t, dir+"/_redir", readFile(t, "completions/redir.zsh"), 0o644)
	out := command(t, "zsh", "-f", "-c", `fpath=(`+dir+` $fpath); autoload -Uz compinit; compinit -u -d `+dir+`/zcompdump; print -r -- $_comps[redir]`)
	if strings.TrimSpace(out) != "_redir" {
		t.Errorf("after compinit, redir completes with %q, want _redir", out)
	}
}
