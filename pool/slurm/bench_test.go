package slurm_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/pool/slurm"
	"github.com/burst-dev/burst/pool/tcp"
)

var trivial = pool.Register("slurm.bench.trivial", func(ctx context.Context, x int) (int, error) { return x + 1, nil })

// BenchmarkFigure1 compares trivial calls over slurm:// with 2 workers (job
// steps on the one-node test cluster, TLS over loopback) against
// process:// with 2 workers (and tcp:// with the same workers as child
// processes), interleaved: throughput with 512 in
// flight and the sequential round trip's p50.
//
//	go test -run '^$' -bench Figure1 -benchtime 1x ./pool/slurm/
func BenchmarkFigure1(b *testing.B) {
	s := testenv.StartSlurm(b, testenv.SlurmOptions{})
	b.Setenv("SLURM_CONF", s.Conf)
	ctx := context.Background()
	urls := map[string]string{
		"process": "process://?workers=2&limit=512",
		"slurm":   fmt.Sprintf("slurm://?workers=2&limit=512&listen=127.0.0.1:0&log_dir=%s", url.QueryEscape(b.TempDir())),
		"tcp":     "tcp://127.0.0.1:0?workers=2&limit=512",
	}
	pools := map[string]*pool.Pool{}
	for name, u := range urls {
		p, err := pool.Open(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		var backend driver.Backend
		p.As(&backend)
		switch be := backend.(type) {
		case *slurm.Backend:
			if err := be.WaitWorkers(ctx, 2); err != nil {
				b.Fatal(err)
			}
		case *tcp.Backend:
			// The same workers as slurm's, started as child processes:
			// the stream's cost without Slurm's.
			for range 2 {
				w := exec.Command(os.Args[0], "-test.run=^$")
				w.Env = append(os.Environ(), be.WorkerEnv()...)
				if err := w.Start(); err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { w.Wait() }) // after the deferred Close ends it
			}
			if err := be.WaitWorkers(ctx, 2); err != nil {
				b.Fatal(err)
			}
		}
		pools[name] = p
	}
	const n, seq = 100_000, 3000
	ins := make([]int, n)
	rate := map[string][]float64{}
	p50 := map[string][]time.Duration{}
	for _, p := range pools {
		if _, err := trivial.Map(ctx, p, ins[:10_000]); err != nil { // warm up
			b.Fatal(err)
		}
	}
	for range 5 {
		for _, name := range []string{"process", "slurm", "tcp"} {
			p := pools[name]
			start := time.Now()
			if _, err := trivial.Map(ctx, p, ins); err != nil {
				b.Fatal(err)
			}
			rate[name] = append(rate[name], n/time.Since(start).Seconds())
			lat := make([]time.Duration, seq)
			for i := range lat {
				t0 := time.Now()
				if _, err := trivial.Call(ctx, p, i); err != nil {
					b.Fatal(err)
				}
				lat[i] = time.Since(t0)
			}
			slices.Sort(lat)
			p50[name] = append(p50[name], lat[len(lat)/2])
		}
	}
	for i := range rate["slurm"] {
		b.Logf("round %d: process %.0f calls/s p50 %v | slurm %.0f calls/s p50 %v (%.2fx, %.2fx) | tcp %.0f calls/s p50 %v (%.2fx, %.2fx)",
			i, rate["process"][i], p50["process"][i], rate["slurm"][i], p50["slurm"][i],
			rate["slurm"][i]/rate["process"][i], float64(p50["slurm"][i])/float64(p50["process"][i]),
			rate["tcp"][i], p50["tcp"][i], rate["tcp"][i]/rate["process"][i], float64(p50["tcp"][i])/float64(p50["process"][i]))
	}
	tr := median(ratios(rate["slurm"], rate["process"]))
	lr := median(ratios(durs(p50["slurm"]), durs(p50["process"])))
	b.ReportMetric(tr, "throughput-ratio")
	b.ReportMetric(lr, "p50-ratio")
	b.Logf("figure 1: slurm/process throughput %.2fx (goal ≥ 0.5), p50 %.2fx (goal ≤ 2); tcp/process %.2fx, %.2fx",
		tr, lr, median(ratios(rate["tcp"], rate["process"])), median(ratios(durs(p50["tcp"]), durs(p50["process"]))))
}

// BenchmarkFigure2 times Open to the first result on the one-node cluster,
// with its parts: Open (listen, sbatch), until the first worker connects
// (Slurm's scheduling, the step's launch, the worker's start and TLS), and
// the first call. Run with the cluster's default scheduler settings and with
// batch_sched_delay=0 (batch jobs scheduled at submission).
//
//	go test -run '^$' -bench Figure2 -benchtime 1x ./pool/slurm/
func BenchmarkFigure2(b *testing.B) {
	for _, tc := range []struct{ name, conf string }{
		{"default", ""},
		{"batch_sched_delay=0", "SchedulerParameters=batch_sched_delay=0"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := testenv.StartSlurm(b, testenv.SlurmOptions{Conf: tc.conf})
			b.Setenv("SLURM_CONF", s.Conf)
			ctx := context.Background()
			var totals []time.Duration
			for i := range 5 {
				t0 := time.Now()
				p, err := pool.Open(ctx, fmt.Sprintf("slurm://?workers=2&listen=127.0.0.1:0&log_dir=%s", url.QueryEscape(b.TempDir())))
				if err != nil {
					b.Fatal(err)
				}
				opened := time.Since(t0)
				var sb *slurm.Backend
				p.As(&sb)
				if err := sb.WaitWorkers(ctx, 1); err != nil {
					b.Fatal(err)
				}
				connected := time.Since(t0)
				if _, err := trivial.Call(ctx, p, 1); err != nil {
					b.Fatal(err)
				}
				total := time.Since(t0)
				totals = append(totals, total)
				b.Logf("run %d: first result %v = Open (listen, sbatch) %v + scheduling, launch, worker start, TLS %v + first call %v",
					i, total.Round(time.Millisecond), opened.Round(time.Millisecond), (connected - opened).Round(time.Millisecond), (total - connected).Round(time.Millisecond))
				p.Close()
				waitNoJobs(b, s, time.Minute)
			}
			m := median(durs(totals))
			b.ReportMetric(m, "s-to-first-result")
			b.Logf("figure 2 (%s): Open → first result median %.2f s (goal ≤ 2 s)", tc.name, m)
		})
	}
}

func ratios(a, b []float64) []float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return r
}

func durs(d []time.Duration) []float64 {
	f := make([]float64, len(d))
	for i, x := range d {
		f[i] = x.Seconds()
	}
	return f
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
