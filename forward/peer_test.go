package forward_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync/atomic"
)

// digest sums a byte stream: its length and SHA-256.
type digest struct {
	N   int64
	Sum [sha256.Size]byte
}

func (d digest) String() string { return fmt.Sprintf("%d bytes %x", d.N, d.Sum[:6]) }

// halfCloser is a conn that can shut down its write side alone.
type halfCloser interface {
	net.Conn
	CloseWrite() error
}

// sendRandom writes size bytes of random data drawn from seed to w in
// chunks of varying length, and returns their digest.
func sendRandom(w io.Writer, size int64, seed uint64) (digest, error) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	src := rand.NewChaCha8(key)
	lens := rand.New(rand.NewPCG(seed, 1))
	h := sha256.New()
	buf := make([]byte, 256<<10)
	var sent int64
	for sent < size {
		chunk := buf[:min(size-sent, 1+lens.Int64N(int64(len(buf))))]
		src.Read(chunk)
		h.Write(chunk)
		n, err := w.Write(chunk)
		sent += int64(n)
		if err != nil {
			return digest{N: sent}, fmt.Errorf("after sending %d of %d bytes: %w", sent, size, err)
		}
	}
	d := digest{N: sent}
	h.Sum(d.Sum[:0])
	return d, nil
}

// readDigest reads r to EOF and sums what it read.
func readDigest(r io.Reader) (digest, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	d := digest{N: n}
	h.Sum(d.Sum[:0])
	if err != nil {
		return d, fmt.Errorf("after receiving %d bytes: %w", n, err)
	}
	return d, nil
}

// exchange sends size random bytes from seed on c and then half-closes it,
// while reading c to EOF at the same time; the two directions are
// independent, so neither end may wait for the other.
func exchange(c halfCloser, size int64, seed uint64) (sent, got digest, err error) {
	type res struct {
		d   digest
		err error
	}
	done := make(chan res, 1)
	go func() {
		d, err := sendRandom(c, size, seed)
		if err == nil {
			err = c.CloseWrite()
		}
		done <- res{d, err}
	}()
	got, rerr := readDigest(c)
	s := <-done
	return s.d, got, errors.Join(s.err, rerr)
}

// exchanged is what one end of an exchange saw.
type exchanged struct {
	sent, got digest
	err       error
}

// peerBackend is a target that runs exchange on every conn, sending size
// bytes with a fresh seed each time, and reports what it saw on results
// (which holds up to 256 reports).
func peerBackend(size int64) (handle func(*net.TCPConn), results <-chan exchanged) {
	out := make(chan exchanged, 256)
	var seeds atomic.Uint64
	seeds.Store(1 << 40)
	return func(c *net.TCPConn) {
		sent, got, err := exchange(c, size, seeds.Add(1))
		out <- exchanged{sent, got, err}
	}, out
}

// checkExchange compares what a client and the backend saw of one
// connection: each received exactly what the other sent.
func checkExchange(client, target exchanged, up, down int64) error {
	switch {
	case client.err != nil:
		return fmt.Errorf("client: %w", client.err)
	case target.err != nil:
		return fmt.Errorf("target: %w", target.err)
	case client.sent.N != up || target.sent.N != down:
		return fmt.Errorf("sent %d and %d bytes, want %d and %d", client.sent.N, target.sent.N, up, down)
	case target.got != client.sent:
		return fmt.Errorf("client to target: target got %v, client sent %v", target.got, client.sent)
	case client.got != target.sent:
		return fmt.Errorf("target to client: client got %v, target sent %v", client.got, target.sent)
	}
	return nil
}
