package forward

import (
	"errors"

	"golang.org/x/sys/unix"
)

// pipeSize is what a relay pipe is grown to: the most one splice moves,
// as in Go's own splice path.
const pipeSize = 1 << 20

// maxSparePipes bounds the pipes a loop keeps for reuse. A pipe is held only
// while bytes are in flight, so an idle connection holds none.
const maxSparePipes = 4

// maxPipes bounds the pipes a loop has at once, spare or in use, so that
// the open-file limit can reserve their descriptors (see filesConnLimit):
// past it a direction copies through a buffer instead.
const maxPipes = 16

var pageSize = unix.Getpagesize()

// errNoPipe says the loop has all the pipes it may have.
var errNoPipe = errors.New("forward: no pipe to spare")

// pipe is a non-blocking pipe pair carrying one direction's bytes from
// one socket to the other inside the kernel. slots is how many buffers it
// holds (a page each): a splice into it that moved fewer bytes than that
// cannot have been stopped by the pipe, only by the socket running dry.
type pipe struct{ r, w, slots int }

// noPipe marks a direction that holds no pipe.
var noPipe = pipe{-1, -1, 0}

func (p pipe) valid() bool { return p.r >= 0 }

func (p pipe) close() {
	unix.Close(p.r)
	unix.Close(p.w)
}

// pipePool is a loop's stock of empty pipes; only the loop touches it.
type pipePool struct {
	spare []pipe
	made  int // pipes open now, spare or in use
	// scratch takes small reads (see pair.fillSmall); one per loop,
	// lent to one direction at a time.
	scratch []byte
}

// get returns an empty pipe, making one when the pool is empty. The size
// is a wish: above the system's pipe-max-size the kernel's default stays.
func (pp *pipePool) get() (pipe, error) {
	if n := len(pp.spare); n > 0 {
		p := pp.spare[n-1]
		pp.spare = pp.spare[:n-1]
		return p, nil
	}
	if pp.made >= maxPipes {
		return noPipe, errNoPipe
	}
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return noPipe, err
	}
	size, err := unix.FcntlInt(uintptr(fds[0]), unix.F_SETPIPE_SZ, pipeSize)
	if err != nil {
		size = 1 << 16 // the kernel's default stays
	}
	pp.made++
	return pipe{fds[0], fds[1], size / pageSize}, nil
}

// put takes back a pipe that is empty; a pipe with bytes left in it is
// closed, since they belong to a connection that is gone.
func (pp *pipePool) put(p pipe, empty bool) {
	if !p.valid() {
		return
	}
	if !empty || len(pp.spare) >= maxSparePipes {
		p.close()
		pp.made--
		return
	}
	pp.spare = append(pp.spare, p)
}

func (pp *pipePool) closeAll() {
	for _, p := range pp.spare {
		p.close()
	}
	pp.made -= len(pp.spare)
	pp.spare = nil
}
