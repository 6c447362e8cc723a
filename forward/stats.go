package forward

import "sync/atomic"

// Stats counts connections and bytes over a Forwarder's life.
type Stats struct {
	total      atomic.Uint64
	open       atomic.Int64
	fromClient atomic.Int64
	fromTarget atomic.Int64
}

// StatsSnapshot is a copy of the counters at one moment. Bytes are counted
// when a connection ends.
type StatsSnapshot struct {
	Total      uint64 // connections accepted
	Open       int64  // connections open now
	FromClient int64  // bytes relayed from clients to the target
	FromTarget int64  // bytes relayed from the target to clients
}

func (s *Stats) opened() {
	s.total.Add(1)
	s.open.Add(1)
}

func (s *Stats) closed(fromClient, fromTarget int64) {
	s.open.Add(-1)
	s.fromClient.Add(fromClient)
	s.fromTarget.Add(fromTarget)
}

func (s *Stats) snapshot() StatsSnapshot {
	return StatsSnapshot{
		Total:      s.total.Load(),
		Open:       s.open.Load(),
		FromClient: s.fromClient.Load(),
		FromTarget: s.fromTarget.Load(),
	}
}
