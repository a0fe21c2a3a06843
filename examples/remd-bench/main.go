//go:build unix

// remd-bench reads CPU time with getrusage, which Windows lacks.

// Command remd-bench measures how well replica exchange uses a pool: parallel
// efficiency = engine_seconds / (wall_seconds × cores), where engine_seconds
// is the CPU time spent inside segments (never waiting for a core), and the
// per-round driver overhead, the time between the last segment of a round
// ending and the first of the next starting.
//
//	go run ./examples/remd-bench        # lj38, 192 replicas, 100 rounds of 1000 steps, local:// and process://?workers=2
//	go run ./examples/remd-bench -rounds 10 -backends local://
//
// The efficiency is only meaningful on an otherwise idle machine (other
// processes taking the cores lower it); the load average before and after
// each run is printed next to it. Occupancy = Σ segment wall time /
// (wall_seconds × cores) is the share of core-time in which the pool had a
// segment running; it does not suffer from other processes, so it isolates
// what the pool and the driver lose.
package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	_ "github.com/burst-dev/burst/pool/slurm"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

func main() {
	pool.Main()
	system := flag.Int("atoms", 38, "Lennard-Jones cluster size")
	replicas := flag.Int("replicas", 192, "replicas")
	rounds := flag.Int("rounds", 100, "rounds")
	steps := flag.Int("steps", 1000, "MD steps per segment")
	storage := flag.String("storage", "payload", "payload, objectstore (file:// in a temp dir) or shared (mem:// on local, needs -shared-url otherwise)")
	sharedURL := flag.String("shared-url", "mem://", "shared URL for -storage shared")
	backends := flag.String("backends", "local://,process://?workers=2", "comma-separated pool URLs")
	cpuprofile := flag.String("cpuprofile", "", "write the driver's CPU profile to this file")
	perCall := flag.Int("segments-per-call", 0, "segments per pool call (remd.Config.SegmentsPerCall): 0 packs short ones automatically, 1 is a call per segment")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fail(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fail(err)
		}
		defer pprof.StopCPUProfile()
	}

	ts, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, *replicas)
	if err != nil {
		fail(err)
	}
	goals := map[string]float64{"local://": 0.95, "process://?workers=2": 0.90}
	fmt.Printf("lj%d, %d replicas, %d rounds × %d steps, %s storage\n", *system, *replicas, *rounds, *steps, *storage)
	fmt.Printf("%-32s %8s %9s %5s %10s %6s %9s %12s %10s %10s %12s %12s %14s\n",
		"backend", "wall s", "engine s", "cores", "efficiency", "goal", "occupancy", "overhead µs", "median µs", "p90 µs", "driver cpu s", "worker cpu s", "load before/after")
	for _, b := range strings.Split(*backends, ",") {
		load0 := loadavg()
		cpu0, child0 := selfCPU(), childCPU()
		s, gaps, err := bench(b, *system, ts, *rounds, *steps, remd.Storage(*storage), *sharedURL, *perCall)
		if err != nil {
			fail(err)
		}
		goal := "-"
		if g, ok := goals[b]; ok {
			goal = fmt.Sprintf("%.2f", g)
		}
		// With worker processes the driver's own CPU time is what the
		// driver costs (encoding, exchanges, files); in-process it includes
		// the segments, so it is not shown.
		// The workers' CPU time, segments included, shows what serving
		// calls costs them beyond engine_seconds.
		driver, workers := "-", "-"
		if !strings.HasPrefix(b, "local:") {
			driver = fmt.Sprintf("%.2f", selfCPU()-cpu0)
			workers = fmt.Sprintf("%.2f", childCPU()-child0)
		}
		fmt.Printf("%-32s %8.2f %9.2f %5d %10.3f %6s %9.3f %12.0f %10.0f %10.0f %12s %12s %14s\n",
			b, s.WallSeconds, s.EngineSeconds, s.Cores, s.ParallelEfficiency, goal, s.Occupancy, s.DriverOverheadUS,
			quantile(gaps, 0.5), quantile(gaps, 0.9), driver, workers, load0+"/"+loadavg())
	}
}

func bench(backend string, atoms int, ts []float64, rounds, steps int, storage remd.Storage, sharedURL string, perCall int) (remd.Summary, []float64, error) {
	ctx := context.Background()
	p, err := pool.Open(ctx, backend)
	if err != nil {
		return remd.Summary{}, nil, err
	}
	defer p.Close()
	out, err := os.MkdirTemp("", "remd-bench-")
	if err != nil {
		return remd.Summary{}, nil, err
	}
	defer os.RemoveAll(out)
	cfg := remd.Config{
		System:       fmt.Sprintf("lj%d", atoms),
		Engine:       engine.Spec{Name: "lj", Options: json.RawMessage(fmt.Sprintf(`{"n":%d}`, atoms))},
		Temperatures: ts, Rounds: rounds, Steps: steps, Seed: 1, Out: out, Backend: backend, Storage: storage,
		SegmentsPerCall: perCall,
	}
	switch storage {
	case remd.ObjectStore:
		cfg.StorageURL = "file://" + filepath.Join(out, "states")
		os.MkdirAll(filepath.Join(out, "states"), 0o755)
	case remd.Shared:
		cfg.SharedURL = sharedURL
	}
	res, err := remd.Run(ctx, p, cfg)
	if err != nil {
		return remd.Summary{}, nil, err
	}
	gaps, err := overheads(filepath.Join(out, "timing.csv"))
	return res.Summary, gaps, err
}

func overheads(path string) ([]float64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	var gaps []float64
	for _, r := range recs[1:] {
		if r[3] == "" {
			continue
		}
		v, err := strconv.ParseFloat(r[3], 64)
		if err != nil {
			return nil, err
		}
		gaps = append(gaps, v)
	}
	return gaps, nil
}

func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

// selfCPU is this process's CPU time (user + system), without children.
func selfCPU() float64 { return cpuOf(syscall.RUSAGE_SELF) }

// childCPU is the CPU time of the child processes that have exited and been
// waited for: a process pool's workers, once it is closed.
func childCPU() float64 { return cpuOf(syscall.RUSAGE_CHILDREN) }

func cpuOf(who int) float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(who, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)*1e-6
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "remd-bench:", err)
	os.Exit(1)
}
