package main

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// bounce logs in through r (-f both on 192.0.2.1:2121) with a client of
// its own and names other hosts in PORT and EPRT: each is answered 500 by
// redir and never reaches vsftpd; the client's own address still works.
func (n *ftpNet) bounce(t *testing.T, r *redirProc) {
	logStart := fileSize(t, n.vsftpdLog)
	c := nsDial(t, n.cli, "", "192.0.2.1:2121")
	c.SetDeadline(time.Now().Add(30 * time.Second))
	rd := bufio.NewReader(c)
	steps := []struct{ send, want string }{
		{"", "220"},
		{"USER anonymous", "230"}, // no_anon_password=YES
		{"PORT 198,51,100,2,0,21", "500"},
		{"EPRT |1|198.51.100.2|21|", "500"},
		{"EPRT |2|2001:db8:2::2|21|", "500"},
		{"PORT 192,0,2,2,200,1", "200"},
		{"QUIT", "221"},
	}
	for _, st := range steps {
		if st.send != "" {
			if _, err := c.Write([]byte(st.send + "\r\n")); err != nil {
				t.Fatal(err)
			}
		}
		if got := readReply(t, rd); !strings.HasPrefix(got, st.want+" ") {
			t.Fatalf("%q: reply %q, want %s", st.send, got, st.want)
		}
	}
	r.waitLog(t, "bounce refused")
	log := readFrom(t, n.vsftpdLog, logStart)
	for _, bad := range []string{"198,51,100,2", "198.51.100.2|", "2001:db8:2::2|"} {
		if strings.Contains(log, bad) {
			t.Errorf("vsftpd was sent %q:\n%s", bad, log)
		}
	}
	if !strings.Contains(log, `"PORT 198,51,100,1,`) {
		t.Errorf("vsftpd was not sent the rewritten PORT:\n%s", log)
	}
}

// readReply reads one FTP reply, multi-line or not, and returns its last line.
func readReply(t *testing.T, rd *bufio.Reader) string {
	t.Helper()
	line, err := rd.ReadString('\n')
	if err != nil {
		t.Fatalf("reading a reply: %v (got %q)", err, line)
	}
	if len(line) < 4 || line[3] != '-' {
		return line
	}
	for i := 0; i < 100; i++ {
		next, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading a reply: %v", err)
		}
		if strings.HasPrefix(next, line[:3]+" ") {
			return next
		}
	}
	t.Fatalf("a reply of over 100 lines")
	return ""
}

var _ net.Conn // nsDial returns one
