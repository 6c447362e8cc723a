package forward_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/redir-project/redir/forward"
)

// TestBulkRequests sends large requests on one connection without
// half-closing, each answered only once it has all arrived, while the
// target first lets it pile up and then reads it in huge gulps. A relay
// that stops moving bytes already queued in a socket once the sender
// pauses (a lost edge, a turn given up and not resumed) hangs here.
func TestBulkRequests(t *testing.T) {
	for _, kind := range listenerKinds {
		t.Run(kind.name, func(t *testing.T) {
			t.Parallel()
			b := startBackend(t, bigListen(t), bulkTarget)
			s := serve(t, &forward.Forwarder{Target: b.addr}, kind.wrap(bigListen(t)))
			c := s.dial(t)
			for i, size := range []int64{32 << 20, 16 << 20, 8 << 20, 1, 3} {
				c.SetDeadline(time.Now().Add(10 * time.Second))
				var hdr [8]byte
				binary.BigEndian.PutUint64(hdr[:], uint64(size))
				c.Write(hdr[:])
				sent, err := sendRandom(c, size, uint64(i))
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				var sum [sha256.Size]byte
				if _, err := io.ReadFull(c, sum[:]); err != nil {
					t.Fatalf("request %d of %d bytes: no answer: %v", i, size, err)
				}
				if sum != sent.Sum {
					t.Fatalf("request %d of %d bytes: the target got other bytes", i, size)
				}
			}
		})
	}
}

// bulkTarget answers each request (a length, then that many bytes) with
// the SHA-256 of its bytes.
func bulkTarget(c *net.TCPConn) {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		time.Sleep(300 * time.Millisecond) // let the request pile up in the relay
		d, err := readBig(io.LimitReader(c, int64(binary.BigEndian.Uint64(hdr[:]))))
		if err != nil {
			return
		}
		c.Write(d.Sum[:])
	}
}

// readBig reads r to EOF in reads of up to 32 MiB, each emptying the
// receive buffer at once, and sums what it read.
func readBig(r io.Reader) (digest, error) {
	h := sha256.New()
	buf := make([]byte, 32<<20)
	var d digest
	for {
		n, err := r.Read(buf)
		h.Write(buf[:n])
		d.N += int64(n)
		switch {
		case err == io.EOF:
			h.Sum(d.Sum[:0])
			return d, nil
		case err != nil:
			return d, err
		}
	}
}

// bigListen listens on 127.0.0.1 with receive buffers as large as the
// system allows, so that megabytes can pile up in one socket.
func bigListen(t *testing.T) net.Listener {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(fd uintptr) {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<20)
		})
	}}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
