//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/slurm"
	"github.com/burst-dev/burst/pool/tcp"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/remd/remdtest"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// BenchmarkSlurm measures issue 19's three figures on a one-node Slurm
// 22.05 cluster started with its default settings, each against a baseline
// taken in the same run, and prints them as one table:
//
//	go test -run '^$' -bench Slurm -benchtime 1x ./examples/remd-bench/          # all three
//	go test -run '^$' -bench 'Slurm/fig2' -benchtime 1x ./examples/remd-bench/   # one
//
// fig1: trivial calls over slurm://?workers=2 against process://?workers=2
// (and tcp:// with the same workers as child processes): throughput with
// 512 in flight and the sequential round trip's p50, median of 5
// interleaved rounds. fig2: pool.Open to the first result, median of 5, with
// its parts, with the default submission and with submit=sbatch beside it.
// fig3: remd lj38, 32 replicas, 20 rounds × 1000 steps over slurm:// with 2
// workers, beside local://, process://?workers=2 and slurm:// with a call
// per segment: parallel efficiency, median of 5 interleaved runs, and
// slurm's output byte-identical to local's in each.
func BenchmarkSlurm(b *testing.B) {
	s := testenv.StartSlurm(b, testenv.SlurmOptions{})
	b.Setenv("SLURM_CONF", s.Conf)
	var rows [][]string
	row := func(r ...string) { rows = append(rows, append(r, loadavg())) }
	b.Run("fig1", func(b *testing.B) { slurmFigure1(b, row) })
	b.Run("fig2", func(b *testing.B) { slurmFigure2(b, s, row) })
	b.Run("fig3", func(b *testing.B) { slurmFigure3(b, row) })
	if len(rows) == 0 {
		return
	}
	var t strings.Builder
	fmt.Fprintf(&t, "\n| # | measured | baseline (same run) | result | goal | load after |\n|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&t, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Println(t.String())
}

var (
	trivial = pool.Register("remdbench.slurm.trivial", func(ctx context.Context, x int) (int, error) { return x + 1, nil })
	// processStart is when this process (a worker, in figure 2) started.
	processStart = time.Now()
	started      = pool.Register("remdbench.slurm.started", func(ctx context.Context, _ int) (time.Time, error) { return processStart, nil })
)

func slurmFigure1(b *testing.B, row func(...string)) {
	ctx := context.Background()
	names := []string{"process", "slurm", "tcp"}
	urls := map[string]string{
		"process": "process://?workers=2&limit=512",
		"slurm":   fmt.Sprintf("slurm://?workers=2&limit=512&listen=127.0.0.1:0&log_dir=%s", url.QueryEscape(b.TempDir())),
		"tcp":     "tcp://127.0.0.1:0?workers=2&limit=512",
	}
	pools := map[string]*pool.Pool{}
	for _, name := range names {
		p, err := pool.Open(ctx, urls[name])
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
	p50 := map[string][]float64{}
	for _, p := range pools {
		if _, err := trivial.Map(ctx, p, ins[:10_000]); err != nil { // warm up
			b.Fatal(err)
		}
	}
	for round := range 5 {
		for _, name := range names {
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
			p50[name] = append(p50[name], lat[len(lat)/2].Seconds())
		}
		b.Logf("round %d: process %.0f calls/s p50 %.1f µs | slurm %.0f calls/s p50 %.1f µs | tcp %.0f calls/s p50 %.1f µs", round,
			rate["process"][round], 1e6*p50["process"][round], rate["slurm"][round], 1e6*p50["slurm"][round], rate["tcp"][round], 1e6*p50["tcp"][round])
	}
	tr, lr := median(ratios(rate["slurm"], rate["process"])), median(ratios(p50["slurm"], p50["process"]))
	b.ReportMetric(tr, "throughput-ratio")
	b.ReportMetric(lr, "p50-ratio")
	row("1a", "`slurm://?workers=2` trivial calls, 512 in flight", fmt.Sprintf("`process://?workers=2` %.0f calls/s", median(rate["process"])),
		fmt.Sprintf("%.0f calls/s: **%.2f×** (rounds %s); tcp:// %.2f×", median(rate["slurm"]), tr, fmtList(ratios(rate["slurm"], rate["process"])),
			median(ratios(rate["tcp"], rate["process"]))), "≥ 0.5×")
	row("1b", "same, sequential round trip p50", fmt.Sprintf("process p50 %.1f µs", 1e6*median(p50["process"])),
		fmt.Sprintf("%.1f µs: **%.2f×** (rounds %s); tcp:// %.2f×", 1e6*median(p50["slurm"]), lr, fmtList(ratios(p50["slurm"], p50["process"])),
			median(ratios(p50["tcp"], p50["process"]))), "≤ 2×")
}

func slurmFigure2(b *testing.B, s *testenv.Slurm, row func(...string)) {
	for _, submit := range []string{slurm.SubmitAuto, slurm.SubmitSbatch} {
		ctx := context.Background()
		var total, open, launch, dial, first []float64
		for i := range 5 {
			t0 := time.Now()
			p, err := pool.Open(ctx, fmt.Sprintf("slurm://?workers=2&listen=127.0.0.1:0&submit=%s&log_dir=%s", submit, url.QueryEscape(b.TempDir())))
			if err != nil {
				b.Fatal(err)
			}
			opened := time.Now()
			var sb *slurm.Backend
			p.As(&sb)
			if err := sb.WaitWorkers(ctx, 1); err != nil {
				b.Fatal(err)
			}
			connected := time.Now()
			ws, err := started.Call(ctx, p, 1)
			if err != nil {
				b.Fatal(err)
			}
			done := time.Now()
			p.Close()
			total = append(total, done.Sub(t0).Seconds())
			open = append(open, opened.Sub(t0).Seconds())
			launch = append(launch, ws.Sub(opened).Seconds())
			dial = append(dial, connected.Sub(ws).Seconds())
			first = append(first, done.Sub(connected).Seconds())
			b.Logf("%s run %d: first result %.3f s = Open (listen, submit; salloc: the grant) %.3f + until the worker process starts (sbatch: scheduling; both: step launch) %.3f + worker start, dial, TLS %.3f + first call %.3f",
				submit, i, total[i], open[i], launch[i], dial[i], first[i])
			waitGone(b, s, time.Minute)
		}
		what := "`pool.Open` → first result, 2 workers, median of 5 (default: salloc --immediate)"
		if submit == slurm.SubmitSbatch {
			what = "the same with `submit=sbatch` (a queued batch job, the old default)"
		}
		b.ReportMetric(median(total), submit+"-s-to-first-result")
		row("2", what, "–", fmt.Sprintf("**%.2f s** (runs %s) = Open %.3f + scheduling (sbatch) and step launch %.3f + worker start, dial, TLS %.3f + first call %.3f (medians)",
			median(total), fmtList(total), median(open), median(launch), median(dial), median(first)), "≤ 2 s")
	}
}

// waitGone waits until squeue lists no job.
func waitGone(b *testing.B, s *testenv.Slurm, bound time.Duration) {
	deadline := time.Now().Add(bound)
	for len(s.Jobs()) > 0 {
		if time.Now().After(deadline) {
			b.Fatalf("squeue still lists jobs %v %v later", s.Jobs(), bound)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// figure3Runs is how many times figure 3 runs remd on each backend,
// interleaved: one run lasts about 1.5 s, in which a burst of other work
// moves one backend's efficiency by ±0.05, so the figure is each backend's
// median. The first run of all three, local:// included, is the slowest
// (0.878–0.907 against 0.90–0.97 after it, while the cluster settles from
// figure 2's jobs): with five runs the median is not decided by it, and it
// is still in the table.
const figure3Runs = 5

// localFloor is the efficiency local:// keeps on this machine when it has
// its two cores (0.94–0.98 in every such run so far).
const localFloor = 0.94

func slurmFigure3(b *testing.B, row func(...string)) {
	ts, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, 32)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	// slurm-1 is the same pool with a call per segment (SegmentsPerCall 1),
	// as remd ran before it packed short segments: what packing gives.
	names := []string{"local", "process", "slurm", "slurm-1"}
	urls := map[string]string{"local": "local://", "process": "process://?workers=2",
		"slurm": fmt.Sprintf("slurm://?workers=2&listen=127.0.0.1:0&log_dir=%s", url.QueryEscape(b.TempDir()))}
	pools := map[string]*pool.Pool{}
	for _, name := range names[:3] {
		p, err := pool.Open(ctx, urls[name])
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		if sb := (*slurm.Backend)(nil); p.As(&sb) {
			// The job's start is figure 2's; this figure is the run.
			if err := sb.WaitWorkers(ctx, 2); err != nil {
				b.Fatal(err)
			}
		}
		pools[name] = p
	}
	pools["slurm-1"], urls["slurm-1"] = pools["slurm"], urls["slurm"]
	eff, occ := map[string][]float64{}, map[string][]float64{}
	identical, files := "yes", 0
	for run := range figure3Runs {
		outs := map[string]string{}
		for _, name := range names {
			out := b.TempDir()
			cfg := remd.Config{
				System: "lj38", Engine: engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":38}`)},
				Temperatures: ts, Rounds: 20, Steps: 1000, Seed: 1, Out: out, Backend: urls[name], Storage: remd.Payload,
			}
			if name == "slurm-1" {
				cfg.SegmentsPerCall = 1
			}
			load0, cpu0 := loadavg(), selfCPU()
			res, err := remd.Run(ctx, pools[name], cfg)
			if err != nil {
				b.Fatal(err)
			}
			outs[name] = out
			sm := res.Summary
			eff[name] = append(eff[name], sm.ParallelEfficiency)
			occ[name] = append(occ[name], sm.Occupancy)
			// The driver's CPU per segment is what the workers lose to it
			// on this machine's two cores; local:// runs the segments in
			// the driver, so it has no such figure.
			perCall := "–"
			if name != "local" {
				perCall = fmt.Sprintf("%.0f µs", (selfCPU()-cpu0)/float64(len(ts)*cfg.Rounds)*1e6)
			}
			b.Logf("run %d %-8s wall %.2f s, engine %.2f s, cores %d: efficiency %.3f, occupancy %.3f, driver overhead %.0f µs/round, driver CPU %s/segment (load %s/%s)",
				run, name, sm.WallSeconds, sm.EngineSeconds, sm.Cores, sm.ParallelEfficiency, sm.Occupancy, sm.DriverOverheadUS, perCall, load0, loadavg())
		}
		want := remdtest.Outputs(b, outs["local"])
		files = len(want)
		for _, backend := range []string{"slurm", "slurm-1"} {
			got := remdtest.Outputs(b, outs[backend])
			for name, w := range want {
				if !bytes.Equal(got[name], w) {
					b.Errorf("run %d: %s differs between %s and local://", run, name, backend)
					identical = "**no**: " + name
				}
			}
		}
	}
	b.ReportMetric(median(eff["slurm"]), "slurm-efficiency")
	// local:// has no pool between the driver and the segments: when even
	// it falls this low, the machine withheld its cores (another VM on the
	// host), and the run measures the machine, not the pool.
	machine := ""
	if median(eff["local"]) < localFloor {
		machine = fmt.Sprintf("; **local:// below %.2f: the machine withheld its cores, not a measurement of the pool**", localFloor)
	}
	row("3", fmt.Sprintf("remd lj38, 32 replicas, 20 rounds × 1000 steps, `slurm://?workers=2`: parallel efficiency, median of %d interleaved runs; output vs `local://`", figure3Runs),
		fmt.Sprintf("local:// %.3f (%s), process:// %.3f (%s); slurm:// with a call per segment (`SegmentsPerCall` 1) %.3f (%s)",
			median(eff["local"]), fmtList3(eff["local"]), median(eff["process"]), fmtList3(eff["process"]), median(eff["slurm-1"]), fmtList3(eff["slurm-1"])),
		fmt.Sprintf("**%.3f** (%s; occupancy %.3f); %d files byte-identical in every run: %s%s", median(eff["slurm"]), fmtList3(eff["slurm"]), median(occ["slurm"]), files, identical, machine),
		"≥ 0.90, identical")
}

func fmtList3(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', 3, 64)
	}
	return strings.Join(parts, ", ")
}

func ratios(a, b []float64) []float64 {
	r := make([]float64, len(a))
	for i := range a {
		r[i] = a[i] / b[i]
	}
	return r
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtList(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.FormatFloat(x, 'f', 2, 64)
	}
	return strings.Join(parts, ", ")
}
