// Command redir is a TCP port redirector: it listens on [SRC]:PORT and
// relays every connection, byte for byte, to [DST]:PORT.
package main

func main() {}
