package forward

import (
	"errors"

	"golang.org/x/sys/unix"
)

// pumpBudget is how many bytes one direction may move before its loop
// turns to other connections; the pair then goes on the run queue.
const pumpBudget = 4 * pipeSize

// direction is one way of a pair: bytes read from fd[i] go to fd[1-i].
type direction struct {
	pipe    pipe   // noPipe unless bytes are in flight
	buf     []byte // stands in for the pipe when no descriptor is left for one
	off     int    // start of the pending bytes in buf
	pending int    // bytes in pipe (or buf) not yet written to the destination
	n       int64  // bytes delivered to the destination
	eof     bool   // the source ended and the destination was half-closed
	dry     bool   // the last fill emptied the source (see pipe.slots)
	// bulk says the source sends more than a small read takes: fill
	// splices. Otherwise it reads into the loop's scratch buffer, which
	// buf then borrows until the bytes are written (see own).
	bulk     bool
	borrowed bool
}

// pair is one relayed connection: the client socket fd[0] and the target
// socket fd[1], both owned by the pair's loop once added.
type pair struct {
	s      *session
	tags   [2]int32     // tell this pair's events from those of an fd's later owner
	fd     [2]int32     // -1 for a target socket not made yet
	dial   *dialState   // non-nil while the target is being connected
	dir    [2]direction // dir[0]: client to target; dir[1]: target to client
	last   int64        // reactor clock: the last byte moved
	done   func(*session, result)
	closed bool
	queued bool // on the loop's run queue
}

func newPair(s *session, cfd, tfd int, done func(*session, result)) *pair {
	p := &pair{s: s, fd: [2]int32{int32(cfd), int32(tfd)}, done: done}
	p.dir[0].pipe, p.dir[1].pipe = noPipe, noPipe
	return p
}

// errBudget says a direction moved its budget and has more to move.
var errBudget = errors.New("forward: pump budget used")

// pump moves bytes in direction i until the source has none, the
// destination is full, the source ends or the budget is used. It returns
// nil when it must wait for the next readiness event.
//
// With fresh set, the pump answers an EPOLLIN event that reported no end
// or error: then a fill that ran the source dry needs no confirming read
// (the EAGAIN one), since every later arrival, FIN included, queues a new
// event. That saves a system call per message each way.
func (p *pair) pump(i int, pool *pipePool, now int64, fresh bool) error {
	d := &p.dir[i]
	src, dst := int(p.fd[i]), int(p.fd[1-i])
	moved := 0
	for !d.eof {
		if d.pending > 0 {
			n, err := d.flush(dst)
			if err != nil {
				d.own()
				return ignoreAgain(err)
			}
			d.pending -= n
			d.n += int64(n)
			moved += n
			p.last = now
			if d.pending == 0 && moved >= pumpBudget {
				return errBudget
			}
			if d.pending == 0 && fresh && d.dry {
				pool.put(d.pipe, true)
				d.pipe = noPipe
				return nil
			}
			continue
		}
		if err := p.fill(d, src, pool, now); err != nil {
			return ignoreAgain(err)
		}
		if d.eof {
			if p.dir[1-i].eof {
				return nil // both ended: closing dst sends its FIN, one call less
			}
			return unix.Shutdown(dst, unix.SHUT_WR)
		}
	}
	return nil
}

// fill reads from src into d's pipe (taking one from the pool); it gives
// the pipe back when the source has nothing, and marks eof at its end.
func (p *pair) fill(d *direction, src int, pool *pipePool, now int64) error {
	if !d.bulk && !d.pipe.valid() {
		return p.fillSmall(d, src, pool, now)
	}
	if !d.pipe.valid() {
		pp, err := pool.get()
		if errors.Is(err, errNoPipe) || errors.Is(err, unix.EMFILE) || errors.Is(err, unix.ENFILE) {
			return p.fillBuffer(d, src, now)
		}
		if err != nil {
			return err
		}
		d.pipe = pp
	}
	n, err := splice(src, d.pipe.w, pipeSize)
	d.dry = n < d.pipe.slots
	if d.dry && n < smallRead {
		d.bulk = false // back to reads once the pipe is empty
	}
	if err != nil || n == 0 {
		pool.put(d.pipe, true)
		d.pipe = noPipe
		d.eof = err == nil
		return err
	}
	d.pending = n
	p.last = now
	return nil
}

// smallRead is the scratch buffer a loop reads small messages into.
const smallRead = 16 << 10

// fillSmall is fill for a source that sends little at a time: a read and
// a write move a small message for less than two splices through a pipe.
// A read that fills the scratch buffer turns the direction to splicing.
func (p *pair) fillSmall(d *direction, src int, pool *pipePool, now int64) error {
	if pool.scratch == nil {
		pool.scratch = make([]byte, smallRead)
	}
	n, err := unix.Read(src, pool.scratch)
	if err != nil || n <= 0 {
		d.eof = err == nil
		return err
	}
	d.dry, d.bulk = n < smallRead, n == smallRead
	d.buf, d.borrowed, d.off, d.pending = pool.scratch, true, 0, n
	p.last = now
	return nil
}

// own copies the bytes still pending out of the loop's scratch buffer,
// which the next fill of any pair reuses.
func (d *direction) own() {
	if d.borrowed && d.pending > 0 {
		d.buf = append([]byte(nil), d.buf[d.off:d.off+d.pending]...)
		d.off = 0
	}
	d.borrowed = false
}

// fillBuffer is fill through user space, for when the process is out of
// descriptors for a pipe: slower, but the connection goes on.
func (p *pair) fillBuffer(d *direction, src int, now int64) error {
	if d.buf == nil {
		d.buf = make([]byte, 64<<10)
	}
	n, err := unix.Read(src, d.buf)
	d.dry = false
	if err != nil || n <= 0 {
		d.buf = nil
		d.eof = err == nil
		return err
	}
	d.off, d.pending = 0, n
	p.last = now
	return nil
}

// flush writes pending bytes to dst from the pipe, or from buf when the
// pipe could not be had; buf is dropped once empty.
func (d *direction) flush(dst int) (int, error) {
	if d.pipe.valid() {
		return splice(d.pipe.r, dst, d.pending)
	}
	n, err := unix.Write(dst, d.buf[d.off:d.off+d.pending])
	if err != nil || n < 0 {
		return 0, err
	}
	d.off += n
	if n == d.pending {
		d.buf, d.borrowed = nil, false
	}
	return n, nil
}

// release gives back both pipes; a pipe still holding bytes is closed.
func (p *pair) release(pool *pipePool) {
	for i := range p.dir {
		d := &p.dir[i]
		pool.put(d.pipe, d.pending == 0)
		d.pipe, d.buf, d.borrowed, d.pending = noPipe, nil, false, 0
	}
}

func splice(from, to, n int) (int, error) {
	for {
		m, err := unix.Splice(from, nil, to, nil, n, unix.SPLICE_F_MOVE|unix.SPLICE_F_NONBLOCK)
		if err == unix.EINTR {
			continue
		}
		return int(m), err
	}
}

// ignoreAgain turns EAGAIN into nil: the edge-triggered event that ends
// the wait will come.
func ignoreAgain(err error) error {
	if err == unix.EAGAIN {
		return nil
	}
	return err
}
