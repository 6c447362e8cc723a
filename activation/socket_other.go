//go:build !linux

package activation

import (
	"errors"
	"os"
	"syscall"
)

var errUnsupported = errors.New("inherited sockets are only supported on Linux")

func socketFromFD(int, string) (Socket, error) { return Socket{}, errUnsupported }

func closeFD(fd int) { syscall.Close(fd) }

// IsTCPSocket says whether f is a TCP socket; it is always false here.
func IsTCPSocket(*os.File) bool { return false }

// Stdin returns the socket inetd passes on fd 0; only on Linux.
func Stdin() (Socket, error) { return Socket{}, errUnsupported }
