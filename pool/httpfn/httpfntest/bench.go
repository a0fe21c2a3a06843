package httpfntest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/process"
)

// BenchCalls measures small calls (pooltest.Square) through p with
// `parallel` calls in flight, reporting calls/s and the median and 90th
// percentile latency of one call.
func BenchCalls(b *testing.B, p *pool.Pool, parallel int) {
	ctx := context.Background()
	if _, err := pooltest.Square.Call(ctx, p, 1); err != nil { // warm: connections, cold start
		b.Fatal(err)
	}
	var (
		mu  sync.Mutex
		lat = make([]time.Duration, 0, b.N)
		wg  sync.WaitGroup
		ch  = make(chan int)
	)
	b.ResetTimer()
	start := time.Now()
	for range parallel {
		wg.Go(func() {
			for i := range ch {
				t0 := time.Now()
				if y, err := pooltest.Square.Call(ctx, p, i); err != nil || y != i*i {
					b.Errorf("Call(%d) = %d, %v", i, y, err)
				}
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		})
	}
	for i := range b.N {
		ch <- i
	}
	close(ch)
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/el.Seconds(), "calls/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*9/10].Microseconds()), "p90-µs")
}

// BenchProcess is the baseline: the same calls on process:// with two
// workers, in the same run.
func BenchProcess(b *testing.B, parallel int) {
	be, err := process.New(context.Background(), process.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	p := pool.New(be, pool.WithLimit(parallel))
	defer p.Close()
	BenchCalls(b, p, parallel)
}
