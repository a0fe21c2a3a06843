package tcp_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
)

var trivial = pool.Register("tcp.bench.trivial", func(ctx context.Context, x int) (int, error) { return x + 1, nil })

// BenchmarkRoundTrip compares the sequential round trip of a trivial call
// over tcp:// (2 workers, TLS on loopback) with process:// (2 workers,
// pipes), in interleaved rounds: the network stream's cost.
//
//	go test -run '^$' -bench RoundTrip -benchtime 1x ./pool/tcp/
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	pp, err := pool.Open(ctx, "process://?workers=2")
	if err != nil {
		b.Fatal(err)
	}
	defer pp.Close()
	tp, err := pool.Open(ctx, "tcp://127.0.0.1:0?workers=2")
	if err != nil {
		b.Fatal(err)
	}
	defer tp.Close()
	startWorkers(b, backendOf(b, tp), 2)
	for _, p := range []*pool.Pool{pp, tp} {
		if _, err := trivial.Map(ctx, p, make([]int, 2000)); err != nil {
			b.Fatal(err)
		}
	}
	for round := range 3 {
		var p50 [2]time.Duration
		for i, p := range []*pool.Pool{pp, tp} {
			lat := make([]time.Duration, 3000)
			for j := range lat {
				t0 := time.Now()
				if _, err := trivial.Call(ctx, p, j); err != nil {
					b.Fatal(err)
				}
				lat[j] = time.Since(t0)
			}
			slices.Sort(lat)
			p50[i] = lat[len(lat)/2]
		}
		b.Logf("round %d: process p50 %v, tcp p50 %v: %.2fx", round, p50[0], p50[1], float64(p50[1])/float64(p50[0]))
	}
}
