package main

import "testing"

func TestFTPNotSupported(t *testing.T) {
	checkNotSupported(t, []badCase{
		{[]string{"-f", "port", ":80", ":90"}, "-f/--ftp"},
		{[]string{"--ftp=both", ":80", ":90"}, "-f/--ftp"},
	})
}
