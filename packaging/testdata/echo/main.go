// Command echo is the end-to-end test's backend inside the container: it
// listens on the address given and sends back every byte it reads, half-
// closing when the client does. Built static by the test.
package main

import (
	"fmt"
	"io"
	"net"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: echo ADDR")
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		go serve(c.(*net.TCPConn))
	}
}

func serve(c *net.TCPConn) {
	defer c.Close()
	if _, err := io.Copy(c, c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	c.CloseWrite()
}
