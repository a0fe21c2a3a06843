// Command poolbench measures the pool core against baselines run in the same
// process and prints a table of ratios: the figures of the pool issue.
//
//	go run ./examples/poolbench                  # all figures
//	go run ./examples/poolbench -only 2          # one figure
//	go run ./examples/poolbench -codec json      # with another codec than the default
//
// Wall times on a shared machine are noisy, so every figure is a ratio to a
// baseline measured moments before in the same run, or a count per second.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/pool/timeline"
)

var (
	trivial = pool.Register("bench.trivial", func(ctx context.Context, x int) (int, error) { return x + 1, nil })
	nap     = pool.Register("bench.nap", func(ctx context.Context, d time.Duration) (int, error) {
		time.Sleep(d)
		return 0, nil
	})
)

// sink keeps the baseline's work from being optimised away.
var sink atomic.Int64

func main() {
	pool.Main()
	only := flag.Int("only", 0, "run only this figure (1-4)")
	n1 := flag.Int("n", 100_000, "inputs for figure 1")
	n4 := flag.Int("stream", 10_000_000, "inputs for figure 4")
	svg := flag.String("timeline", "", "write figure 3's call timeline to this SVG file")
	codecName := flag.String("codec", "", "codec for the process:// figures (default: the pool's default, bin)")
	flag.Parse()
	if *codecName != "" {
		codecParam = "&codec=" + url.QueryEscape(*codecName)
	}
	ctx := context.Background()
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmeasured\tbaseline\tratio / value\tgoal\tmet")
	row := func(fig, measured, baseline, value, goal string, ok bool) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", fig, measured, baseline, value, goal, ok)
		tw.Flush()
	}
	run := func(n int) bool { return *only == 0 || *only == n }

	if run(1) {
		ratio, ours, base := figure1(ctx, *n1)
		row("1 local:// Map per task", ns(ours), "errgroup.Go "+ns(base), fmt.Sprintf("%.2fx", ratio), "≤ 3x", ratio <= 3)
	}
	if run(2) {
		rate, tuned, p50, p99 := figure2(ctx)
		row("2a process://?workers=2 throughput", fmt.Sprintf("%.0f calls/s", rate), fmt.Sprintf("&limit=512: %.0f/s", tuned),
			fmt.Sprintf("%.0f/s (%.2fx tuned)", rate, rate/tuned), "≥ 30000/s", rate >= 30000)
		row("2b process:// w=2 sequential RTT", "p50 "+us(p50), "p99 "+us(p99), us(p50), "p50 ≤ 100µs", p50 <= 100*time.Microsecond)
	}
	if run(3) {
		total, base := figure3(ctx, *svg)
		r := total.Seconds() / 10.0
		row("3 process:// 200×100ms, limit 2", total.Round(time.Millisecond).String(), "ideal 10.0s", fmt.Sprintf("%.4fx", r), "≤ 1.01x", r <= 1.01)
		rb := float64(total) / float64(base)
		row("3' same vs errgroup sleeps", total.Round(time.Millisecond).String(), "errgroup "+base.Round(time.Millisecond).String(),
			fmt.Sprintf("%.4fx", rb), "≤ 1.01x", rb <= 1.01)
	}
	if run(4) {
		peak, n := figure4(ctx, *n4)
		row(fmt.Sprintf("4 Stream %d inputs, limit 64", n), fmt.Sprintf("peak heap %.1f MiB", float64(peak)/(1<<20)), "-",
			fmt.Sprintf("%.1f MiB", float64(peak)/(1<<20)), "< 64 MiB", peak < 64<<20)
	}
}

// figure1: the per-task cost of local:// Map against errgroup.Go with the
// same concurrency, on a function that does almost nothing, best of 5.
func figure1(ctx context.Context, n int) (ratio float64, ours, base time.Duration) {
	p, err := pool.Open(ctx, "local://")
	must(err)
	defer p.Close()
	ins := make([]int, n)
	for i := range ins {
		ins[i] = i
	}
	fn := func(ctx context.Context, x int) (int, error) { return x + 1, nil }
	baseline := func() time.Duration {
		start := time.Now()
		var g errgroup.Group
		g.SetLimit(runtime.GOMAXPROCS(0))
		outs := make([]int, n)
		for i, x := range ins {
			g.Go(func() error {
				y, err := fn(ctx, x)
				outs[i] = y
				return err
			})
		}
		must(g.Wait())
		sink.Add(int64(outs[n-1]))
		return time.Since(start)
	}
	measured := func() time.Duration {
		start := time.Now()
		outs, err := trivial.Map(ctx, p, ins)
		must(err)
		sink.Add(int64(outs[n-1]))
		return time.Since(start)
	}
	ours, base = time.Duration(1<<62), time.Duration(1<<62)
	for range 5 {
		base = min(base, baseline())
		ours = min(ours, measured())
	}
	return float64(ours) / float64(base), ours / time.Duration(n), base / time.Duration(n)
}

// codecParam selects the -codec flag's codec in the process:// URLs.
var codecParam string

// figure2: throughput of the plain URL, as a user opens it, beside the
// same with 512 calls in flight; and the round trip of one call at a time,
// over two worker processes.
func figure2(ctx context.Context) (rate, tuned float64, p50, p99 time.Duration) {
	const n = 200_000
	ins := make([]int, n)
	throughput := func(p *pool.Pool) float64 {
		_, err := trivial.Map(ctx, p, ins[:10_000]) // warm up
		must(err)
		start := time.Now()
		_, err = trivial.Map(ctx, p, ins)
		must(err)
		return n / time.Since(start).Seconds()
	}
	pt, err := pool.Open(ctx, "process://?workers=2&limit=512"+codecParam)
	must(err)
	tuned = throughput(pt)
	pt.Close()

	p, err := pool.Open(ctx, "process://?workers=2"+codecParam)
	must(err)
	defer p.Close()
	rate = throughput(p)

	lat := make([]time.Duration, 5000)
	for i := range lat {
		t0 := time.Now()
		_, err := trivial.Call(ctx, p, i)
		must(err)
		lat[i] = time.Since(t0)
	}
	slices.Sort(lat)
	return rate, tuned, lat[len(lat)/2], lat[len(lat)*99/100]
}

// figure3: 200 calls of 100 ms through 2 slots must take 100 rounds of
// 100 ms; anything beyond that is the pool's overhead. The baseline is the
// same sleeps in this process under errgroup with limit 2, which shows how
// late a loaded machine wakes sleepers.
func figure3(ctx context.Context, svg string) (total, baseline time.Duration) {
	rec := timeline.New()
	p, err := pool.Open(ctx, "process://?workers=2&limit=2"+codecParam, pool.WithCallHook(rec.Observe))
	if svg != "" {
		defer func() {
			f, err := os.Create(svg)
			must(err)
			must(rec.WriteSVG(f, "process:// 200 × 100 ms, limit 2"))
			must(f.Close())
		}()
	}
	must(err)
	defer p.Close()
	ins := make([]time.Duration, 200)
	for i := range ins {
		ins[i] = 100 * time.Millisecond
	}
	start := time.Now()
	var g errgroup.Group
	g.SetLimit(2)
	for _, d := range ins {
		g.Go(func() error { time.Sleep(d); return nil })
	}
	must(g.Wait())
	baseline = time.Since(start)
	start = time.Now()
	_, err = nap.Map(ctx, p, ins)
	must(err)
	return time.Since(start), baseline
}

// figure4: a streaming map over inputs that are generated, never stored,
// sampling the heap while it runs.
func figure4(ctx context.Context, n int) (peak uint64, count int) {
	p, err := pool.Open(ctx, "local://?limit=64")
	must(err)
	defer p.Close()
	runtime.GC()
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	seq := func(yield func(int) bool) {
		for i := range n {
			if !yield(i) {
				return
			}
		}
	}
	for y, err := range trivial.Stream(ctx, p, seq) {
		must(err)
		if y != count+1 {
			log.Fatalf("stream out of order at %d: %d", count, y)
		}
		count++
	}
	close(stop)
	<-done
	return peak, count
}

func ns(d time.Duration) string { return fmt.Sprintf("%dns/task", d.Nanoseconds()) }
func us(d time.Duration) string { return fmt.Sprintf("%.1fµs", float64(d.Nanoseconds())/1000) }

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
