package packaging

import (
	"regexp"
	"strings"
	"testing"

	"github.com/redir-project/redir/internal/testenv"
)

// The inetd and xinetd examples, run as shipped by the real daemons with
// the real tcpd: only the port, the listening address (loopback here),
// the program's path and the target are substituted.

// exampleHosts returns the hosts.allow and hosts.deny lines the example's
// comments suggest, so that the test uses the advice it ships.
func exampleHosts(t *testing.T, text string) map[string]string {
	t.Helper()
	files := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^#\s+/etc/(hosts\.(?:allow|deny)):\s+(.*)$`).FindAllStringSubmatch(text, -1) {
		files[m[1]] = m[2] + "\n"
	}
	if len(files) != 2 {
		t.Fatalf("the example suggests %d hosts files, want hosts.allow and hosts.deny: %q", len(files), files)
	}
	return files
}

// substitute replaces each old with its new in text, failing the test when
// one is not there: the example must still say what the test expects.
func substitute(t *testing.T, text string, pairs ...string) string {
	t.Helper()
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			t.Fatalf("the example no longer holds %q:\n%s", pairs[i], text)
		}
		text = strings.ReplaceAll(text, pairs[i], pairs[i+1])
	}
	return text
}

// checkSuperServer relays through addr twice, byte-exact, and checks
// that a denied client gets nothing and never reaches redir.
func checkSuperServer(t *testing.T, addr string, s *testenv.SuperServer) {
	t.Helper()
	testenv.WaitListening(t, addr)
	echoCheck(t, addr, 1<<20)
	echoCheck(t, addr, 1000)
	if err := testenv.DeniedClient(addr); err != nil {
		t.Error(err)
	}
	s.WaitSyslog(t, "relaying a connection from 127.0.0.1:", 1)
	if strings.Contains(s.Syslog.String(), "127.0.0.2") {
		t.Errorf("redir ran for the denied client:\n%s", s.Syslog)
	}
}

// TestInetdExample runs examples/inetd.conf under openbsd-inetd and tcpd.
func TestInetdExample(t *testing.T) {
	example := readFile(t, "examples/inetd.conf")
	target, port := startEcho(t), freePort(t)
	addr := "127.0.0.1:" + port
	conf := substitute(t, example, "\n8080\t", "\n"+addr+"\t", "/usr/bin/redir", redirBin, " 127.0.0.1:80\n", " "+target+"\n")
	files := exampleHosts(t, example)
	files["inetd.conf"] = conf
	s := testenv.StartSuperServer(t, files, "/usr/sbin/inetd", "-i", "DIR/inetd.conf")
	checkSuperServer(t, addr, s)
}

// TestXinetdExample runs examples/xinetd.redir under xinetd (unpacked
// from Debian's package: it conflicts with openbsd-inetd) and tcpd.
func TestXinetdExample(t *testing.T) {
	example := readFile(t, "examples/xinetd.redir")
	xinetd := testenv.Xinetd(t)
	target, port := startEcho(t), freePort(t)
	conf := substitute(t, example, "= 8080\n", "= "+port+"\n", "= 0.0.0.0\n", "= 127.0.0.1\n",
		"/usr/bin/redir", redirBin, " 127.0.0.1:80\n", " "+target+"\n")
	files := exampleHosts(t, example)
	files["xinetd.conf"] = "defaults\n{\n\tlog_type = FILE DIR/xinetd.log\n}\n" + conf
	s := testenv.StartSuperServer(t, files, xinetd, "-f", "DIR/xinetd.conf", "-dontfork", "-pidfile", "DIR/xinetd.pid")
	checkSuperServer(t, "127.0.0.1:"+port, s)
}
