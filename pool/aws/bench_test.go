package aws_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/process"
)

// BenchmarkTrivialCall measures calls/s and per-call latency (p50, p99) of a
// trivial function through the emulator's real lambda.Invoke path, next to
// the process backend in the same run, at concurrency 1 and 2:
//
//	go test -run '^$' -bench TrivialCall -benchtime 500x ./pool/aws/
//
// The emulator runs in its concurrent mode with two runtimes, so it needs
// /var/task/bootstrap (root); the table with the ratios is logged at the end.
func BenchmarkTrivialCall(b *testing.B) {
	l := testenv.StartLambda(b, testenv.LambdaOptions{MaxConcurrency: 2, Timeout: 60})
	pb, err := process.New(context.Background(), process.Options{Workers: 2})
	if err != nil {
		b.Fatal(err)
	}
	procPool := pool.New(pb)
	defer procPool.Close()
	awsPool, err := pool.Open(context.Background(), l.URL("&concurrency=2"), retrying()...)
	if err != nil {
		b.Fatal(err)
	}
	defer awsPool.Close()

	type row struct {
		name           string
		rate, p50, p99 float64
	}
	var rows []row
	for _, c := range []int{1, 2} {
		for _, be := range []struct {
			name string
			p    *pool.Pool
		}{{"process", procPool}, {"aws-rie", awsPool}} {
			b.Run(fmt.Sprintf("%s/c%d", be.name, c), func(b *testing.B) {
				rate, p50, p99 := measure(b, be.p.With(pool.WithLimit(c)), c)
				b.ReportMetric(rate, "calls/s")
				b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
				b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
				r := row{fmt.Sprintf("%s c=%d", be.name, c), rate, float64(p50.Microseconds()), float64(p99.Microseconds())}
				// The last (largest) run of a sub-benchmark is the one to keep.
				if len(rows) > 0 && rows[len(rows)-1].name == r.name {
					rows = rows[:len(rows)-1]
				}
				rows = append(rows, r)
			})
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%-14s %10s %10s %10s %12s\n", "backend", "calls/s", "p50 µs", "p99 µs", "vs process")
	base := map[string]float64{}
	for _, r := range rows {
		c := r.name[strings.Index(r.name, "c="):]
		if strings.HasPrefix(r.name, "process") {
			base[c] = r.rate
		}
		ratio := ""
		if base[c] > 0 {
			ratio = fmt.Sprintf("%.2fx", r.rate/base[c])
		}
		fmt.Fprintf(&sb, "%-14s %10.0f %10.0f %10.0f %12s\n", r.name, r.rate, r.p50, r.p99, ratio)
	}
	b.Log(sb.String())
}

// measure makes b.N calls from c goroutines (after a warm-up) and returns
// the call rate and the latency percentiles.
func measure(b *testing.B, p *pool.Pool, c int) (rate float64, p50, p99 time.Duration) {
	ctx := context.Background()
	for i := range 10 {
		if _, err := square.Call(ctx, p, i); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, b.N)
	var next sync.Mutex
	n := 0
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range c {
		wg.Go(func() {
			for {
				next.Lock()
				i := n
				n++
				next.Unlock()
				if i >= b.N {
					return
				}
				t0 := time.Now()
				if _, err := square.Call(ctx, p, i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	return float64(b.N) / elapsed.Seconds(), lat[len(lat)/2], lat[len(lat)*99/100]
}
