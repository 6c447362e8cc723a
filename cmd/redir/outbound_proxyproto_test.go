package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nginxProxyConf is an nginx that takes the PROXY protocol (either
// version) on 127.0.0.1:8080 and logs what the header said and who
// connected: "CLIENT CPORT SERVER SPORT PEER".
const nginxProxyConf = `worker_processes 1;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
	log_format pp '$proxy_protocol_addr $proxy_protocol_port $proxy_protocol_server_addr $proxy_protocol_server_port $remote_addr';
	access_log %[1]s/access.log pp;
	client_body_temp_path %[1]s/body;
	server {
		listen 127.0.0.1:8080 proxy_protocol;
		location / { return 200 "ok\n"; }
	}
}
`

// startNginx runs a real nginx in namespace ns with nginxProxyConf and
// returns the path of its access log.
func startNginx(t *testing.T, ns string) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(nginxProxyConf, dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	p := nsStart(t, ns, "nginx", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf,
		"-g", "daemon off; master_process off; pid "+filepath.Join(dir, "nginx.pid")+";")
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("nginx error.log:\n%s", b)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "nginx.pid")); err == nil {
			return filepath.Join(dir, "access.log")
		}
		select {
		case <-p.Done:
			t.Fatalf("nginx exited: %v\n%s", p.Err, p.Stderr)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx wrote no pid file in 10s")
		}
	}
}

// TestProxyProtocolNginx: both header versions, read by a real nginx,
// name the client and the address it connected to, for IPv4 clients
// (of a dual-stack listener, so v4-mapped: the header says TCP4) and
// IPv6 clients; -b still sets the source nginx sees.
func TestProxyProtocolNginx(t *testing.T) {
	ns := newNetns(t)
	nsRun(t, ns, "ip", "addr", "add", "127.0.0.3/8", "dev", "lo")
	accessLog := startNginx(t, ns)
	for _, v := range []struct{ version, port, peer string }{
		{"v1", "8001", "127.0.0.1"},
		{"v2", "8002", "127.0.0.2"},
	} {
		args := []string{redirBin, "-n", "--proxy-protocol", v.version, ":" + v.port, "127.0.0.1:8080"}
		if v.peer != "127.0.0.1" {
			args = append(args[:2], append([]string{"-b", v.peer}, args[2:]...)...)
		}
		p := nsStart(t, ns, args...)
		p.waitLog(t, "listening on")
		for _, c := range []struct{ from, to string }{
			{"127.0.0.3:0", "127.0.0.1:" + v.port},
			{"[::1]:0", "[::1]:" + v.port},
		} {
			conn := nsDial(t, ns, c.from, c.to)
			httpGet(t, conn)
			client := conn.LocalAddr().(*net.TCPAddr)
			server := conn.RemoteAddr().(*net.TCPAddr)
			conn.Close()
			want := fmt.Sprintf("%s %d %s %d %s", client.IP, client.Port, server.IP, server.Port, v.peer)
			waitFileLine(t, accessLog, want)
		}
		p.stopOK(t)
	}
}

// httpGet sends a GET on c and expects nginx's "ok".
func httpGet(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.0\r\nHost: test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 200") || !strings.HasSuffix(string(b), "\r\n\r\nok\n") {
		t.Fatalf("GET through redir: %q, %v", b, err)
	}
}

// waitFileLine waits up to 10 s for a line of file to be want.
func waitFileLine(t *testing.T, file, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		for _, line := range strings.Split(string(b), "\n") {
			if line == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no line %q in %s after 10s:\n%s", want, file, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
