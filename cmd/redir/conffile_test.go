package main

import "testing"

func TestConfigNotSupported(t *testing.T) {
	checkNotSupported(t, []badCase{
		{[]string{"--config=/etc/redir/x.conf", ":80", ":90"}, "--config"},
	})
}
