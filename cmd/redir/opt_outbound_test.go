package main

import "testing"

func TestOutboundNotSupported(t *testing.T) {
	checkNotSupported(t, []badCase{
		{[]string{"-p", ":80", ":90"}, "-p/--transproxy"},
		{[]string{"--transproxy", ":80", ":90"}, "-p/--transproxy"},
		{[]string{"-x", "example.com:443", ":80", ":90"}, "-x/--connect"},
		{[]string{"--proxy-protocol=v2", ":80", ":90"}, "--proxy-protocol"},
	})
}

func TestOutboundBadValues(t *testing.T) {
	checkBad(t, []badCase{
		{[]string{"--proxy-protocol=v3", ":80", ":90"}, `--proxy-protocol "v3"`},
	})
}
