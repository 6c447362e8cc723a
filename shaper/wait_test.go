package shaper

import (
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// clockTolerance is how much earlier than its drawn wait a read may
// return and still count as having waited it: none is expected, as Go's
// timers never fire early on the monotonic clock.
const clockTolerance = 100 * time.Microsecond

// TestRandomWaitBounds checks -w without timing bounds a busy host could
// break. The waits drawn, recorded through the conn's test hook, must be
// in 0..2W and spread over it as a uniform draw does (a Kolmogorov-Smirnov
// bound over a thousand draws); on the wire each read must take at least
// its wait, which load can only lengthen. Once with a seeded source, so
// the draw is the same every run, and once with the shared one that redir
// uses, at a bound that fails by chance once in a million runs.
func TestRandomWaitBounds(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		rng   *rand.Rand
		alpha float64 // the chance of failing with a uniform draw
	}{
		{"seeded", rand.New(rand.NewPCG(6, 20)), 1e-3},
		{"shared_source", nil, 1e-6},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const w, n = 2 * time.Millisecond, 1000
			draws, took := waitDraws(t, Config{Wait: w, Packet: 256}, tt.rng, n)
			for i, d := range draws {
				if d < 0 || d >= 2*w {
					t.Fatalf("wait %d drawn %v, want 0 up to %v", i, d, 2*w)
				}
				if took[i] < d-clockTolerance {
					t.Errorf("read %d took %v, less than its wait %v", i, took[i], d)
				}
			}
			d, limit := ksUniform(draws, 2*w), math.Sqrt(-math.Log(tt.alpha/2)/2/n)
			t.Logf("%d waits: mean %v, Kolmogorov-Smirnov distance from uniform 0..%v %.4f (limit %.4f)",
				n, mean(draws), 2*w, d, limit)
			if d > limit {
				t.Errorf("the waits are not uniform over 0..%v: distance %.4f, limit %.4f", 2*w, d, limit)
			}
		})
	}
}

// TestRandomWaitOnlyWhenShaped checks that a Config without Wait draws no
// wait at all.
func TestRandomWaitOnlyWhenShaped(t *testing.T) {
	draws, _ := waitDraws(t, Config{Rate: 1 << 50, Packet: 256}, nil, 20)
	if len(draws) != 0 {
		t.Errorf("%d waits drawn without Wait, want none", len(draws))
	}
}

// waitDraws reads n packets, sent beforehand, through a conn shaped as cfg
// says, with rng as its source of waits unless nil, and returns the waits
// drawn and how long each read took, from the call to its return.
func waitDraws(t *testing.T, cfg Config, rng *rand.Rand, n int) (draws, took []time.Duration) {
	t.Helper()
	a, b := tcpPair(t)
	go a.Write(make([]byte, n*cfg.Packet))
	s := Wrap(b, cfg)
	s.rng = rng
	s.drew = func(d time.Duration) { draws = append(draws, d) }
	b.SetReadDeadline(time.Now().Add(time.Minute))
	buf := make([]byte, cfg.Packet)
	for got := 0; got < n*cfg.Packet; {
		start := time.Now()
		m, err := s.Read(buf)
		if m == 0 || err != nil && err != io.EOF {
			t.Fatalf("read after %d bytes: %d bytes, %v", got, m, err)
		}
		took = append(took, time.Since(start))
		got += m
	}
	return draws, took
}

// ksUniform is the Kolmogorov-Smirnov distance between the draws and the
// uniform distribution over 0..max.
func ksUniform(draws []time.Duration, max time.Duration) float64 {
	s := slices.Sorted(slices.Values(draws))
	n, d := float64(len(s)), 0.0
	for i, x := range s {
		f := float64(x) / float64(max)
		d = math.Max(d, math.Max(float64(i+1)/n-f, f-float64(i)/n))
	}
	return d
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}
