package forward

import (
	"context"
	"net"
)

// dial connects to Target, resolving it afresh and trying each of its
// addresses until one answers or ctx ends. net.Dialer spreads the time left
// over the addresses, so one dead address cannot use up the whole timeout.
func (f *Forwarder) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{KeepAlive: -1}
	if f.LocalAddr != nil {
		d.LocalAddr = f.LocalAddr
	}
	return d.DialContext(ctx, "tcp", f.Target)
}
