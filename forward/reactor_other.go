//go:build !linux

package forward

import (
	"context"
	"errors"
	"net"
	"time"
)

// reactor is the splice relay, which only Linux has; elsewhere every
// connection is copied in user space.
type reactor struct{}

func newReactor(time.Duration) (*reactor, error) {
	return nil, errors.New("forward: no splice relay on this system")
}

func (r *reactor) close() {}

func (r *reactor) start(*session, *net.TCPConn, *net.TCPConn, func(*session, result), func(func()) bool) error {
	return errors.New("forward: no splice relay on this system")
}

// acceptRaw is never called without a splice relay.
func (f *Forwarder) acceptRaw(context.Context, *net.TCPListener, semaphore) error {
	return errors.New("forward: no splice relay on this system")
}

func (r *reactor) slotFreed() {}
