//go:build unix

// ww-bench reads CPU time with getrusage, which Windows lacks.

// Command ww-bench measures the pure-Go CHARMM engine ("ww") against GROMACS
// on the study's WW domain, in one run on one machine:
//
//  1. one 1000-step segment at 2 fs with SHAKE on one core: the Go engine
//     against one GROMACS segment through the gromacs engine adapter
//     (grompp + mdrun -nt 1 + gmx energy), and against mdrun alone;
//  2. ns/day of the Go engine at 1 fs (unconstrained) and 2 fs (SHAKE),
//     from the fastest 200-step segment and from the mean over a few seconds.
//
// Both wall-clock and CPU time (user+system, own process for Go, child
// processes for GROMACS) are reported, since wall time on a shared machine
// includes waiting for a core. Run it from the repository root:
//
//	go run ./examples/ww-bench            # needs gmx on PATH (docs/charmm.md)
//	go run ./examples/ww-bench -gmx ''    # Go engine only
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/burst-dev/burst/internal/gmx"
	"github.com/burst-dev/burst/remd/engine/charmm"
	"github.com/burst-dev/burst/remd/engine/gromacs"
)

var (
	pdb    = flag.String("pdb", charmm.DefaultPath(charmm.DefaultPDB), "WW domain coordinates")
	psf    = flag.String("psf", charmm.DefaultPath(charmm.DefaultPSF), "WW domain structure")
	par    = flag.String("par", charmm.DefaultPath(charmm.DefaultPar), "CHARMM parameters")
	gmxExe = flag.String("gmx", "gmx", "GROMACS executable; empty skips GROMACS")
	steps  = flag.Int("steps", 1000, "steps per segment")
	reps   = flag.Int("reps", 5, "repetitions of each measurement (the best is reported)")
	nsSecs = flag.Float64("nsday-seconds", 5, "minimum seconds of dynamics for each ns/day figure")
)

type timing struct{ wall, cpu time.Duration }

func cpu(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		log.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// job is one measured thing: f runs it once; who says whose CPU time counts.
type job struct {
	name string
	who  int
	f    func() error
	best timing
}

// measureInterleaved runs every job once per round, reps rounds, so a busy
// machine slows all of them alike, and keeps each job's fastest wall time.
func measureInterleaved(jobs []*job) error {
	for _, j := range jobs {
		j.best = timing{wall: 1 << 62}
	}
	for r := 0; r < *reps; r++ {
		for _, j := range jobs {
			progress("round %d/%d: %s", r+1, *reps, j.name)
			c0, t0 := cpu(j.who), time.Now()
			if err := j.f(); err != nil {
				return fmt.Errorf("%s: %w", j.name, err)
			}
			t := timing{time.Since(t0), cpu(j.who) - c0}
			if t.wall < j.best.wall {
				j.best = t
			}
		}
	}
	return nil
}

var tty = func() bool { st, err := os.Stderr.Stat(); return err == nil && st.Mode()&os.ModeCharDevice != 0 }()

func progress(format string, args ...any) {
	if tty {
		fmt.Fprintf(os.Stderr, "… "+format+"\n", args...)
	}
}

func main() {
	flag.Parse()
	runtime.GOMAXPROCS(1) // one core, as the figure asks
	ctx := context.Background()

	goEngine := func(dt float64, shake bool) *charmm.Engine {
		e, err := charmm.New(charmm.Options{PDB: *pdb, PSF: *psf, Par: *par, DT: dt, Shake: &shake})
		if err != nil {
			log.Fatal(err)
		}
		return e
	}
	e2 := goEngine(2, true)
	rng := rand.New(rand.NewPCG(1, 2))
	st0, err := e2.Initial(rng, 300)
	if err != nil {
		log.Fatal(err)
	}
	jobs := []*job{{name: "Go ww engine, Segment", who: syscall.RUSAGE_SELF, f: func() error {
		st := st0.Clone()
		_, err := e2.Segment(ctx, &st, 300, *steps, rng)
		return err
	}}, {name: "Go ww engine, read PSF/PDB/PAR + Segment", who: syscall.RUSAGE_SELF, f: func() error {
		// What a function does when it rebuilds the engine from its Spec.
		e := goEngine(2, true)
		st := st0.Clone()
		_, err := e.Segment(ctx, &st, 300, *steps, rng)
		return err
	}}}
	if *gmxExe != "" {
		dir, err := os.MkdirTemp("", "ww-bench-*")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		adapter, mdrun, err := gromacsJobs(ctx, dir)
		if err != nil {
			log.Fatalf("GROMACS: %v", err)
		}
		jobs = append(jobs,
			&job{name: "GROMACS adapter: grompp + mdrun -nt 1 + energy", who: syscall.RUSAGE_CHILDREN, f: adapter},
			&job{name: "GROMACS mdrun -nt 1 alone", who: syscall.RUSAGE_CHILDREN, f: mdrun})
	}
	if err := measureInterleaved(jobs); err != nil {
		log.Fatal(err)
	}
	goSeg := jobs[0].best

	fmt.Printf("WW domain, %d atoms, %d steps per segment, best of %d interleaved rounds, GOMAXPROCS=1, %s/%s, %d CPUs\n\n",
		e2.Sys.N(), *steps, *reps, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Printf("Figure 1: one %d-step segment at 2 fs (SHAKE / h-bond constraints)\n", *steps)
	fmt.Printf("%-48s %10s %10s %9s %9s\n", "", "wall", "CPU", "wall/Go", "CPU/Go")
	for _, j := range jobs {
		fmt.Printf("%-48s %10s %10s %8.2fx %8.2fx\n", j.name, j.best.wall.Round(time.Millisecond), j.best.cpu.Round(time.Millisecond),
			j.best.wall.Seconds()/goSeg.wall.Seconds(), j.best.cpu.Seconds()/goSeg.cpu.Seconds())
	}

	fmt.Printf("\nFigure 2: Go ww engine throughput, one core, γ = 5/ps, switch 10-12 Å\n")
	fmt.Printf("(200-step segments for %gs each; best is the fastest segment, the steadier figure on a busy machine)\n", *nsSecs)
	fmt.Printf("%-24s %14s %14s %12s %14s %12s\n", "", "ns/day (best)", "ms/step (best)", "ns/day", "ns/day (CPU)", "CPU ms/step")
	for _, c := range []struct {
		dt    float64
		shake bool
	}{{1, false}, {2, true}} {
		e := goEngine(c.dt, c.shake)
		st, err := e.Initial(rng, 300)
		if err != nil {
			log.Fatal(err)
		}
		progress("Go engine throughput at %g fs", c.dt)
		const segSteps = 200
		var n int
		best := time.Duration(1 << 62)
		c0, t0 := cpu(syscall.RUSAGE_SELF), time.Now()
		for time.Since(t0).Seconds() < *nsSecs {
			s0 := time.Now()
			if _, err := e.Segment(ctx, &st, 300, segSteps, rng); err != nil {
				log.Fatal(err)
			}
			best = min(best, time.Since(s0))
			n += segSteps
		}
		sec, cpuSec := time.Since(t0).Seconds(), (cpu(syscall.RUSAGE_SELF) - c0).Seconds()
		nsPerDay := func(s float64, steps int) float64 { return float64(steps) * c.dt * 1e-6 / (s / 86400) }
		fmt.Printf("%-24s %14.1f %14.3f %12.1f %14.1f %12.3f\n", fmt.Sprintf("dt %g fs, shake %v", c.dt, c.shake),
			nsPerDay(best.Seconds(), segSteps), 1000*best.Seconds()/segSteps,
			nsPerDay(sec, n), nsPerDay(cpuSec, n), 1000*cpuSec/float64(n))
	}
}

// gromacsJobs builds the WW domain with pdb2gmx (charmm27, no CMAP, 12 nm
// box) and returns one adapter segment and one bare mdrun of the same length.
func gromacsJobs(ctx context.Context, dir string) (adapter, mdrun func() error, err error) {
	run := func(args ...string) error {
		_, err := gmx.Run(ctx, *gmxExe, dir, "", args...)
		return err
	}
	progress("GROMACS: pdb2gmx")
	top, gro, err := gmx.WW(ctx, *gmxExe, *pdb, dir, 12)
	if err != nil {
		return nil, nil, err
	}
	e, err := gromacs.New(gromacs.Options{Gmx: *gmxExe, Top: top, Conf: gro, WorkDir: dir})
	if err != nil {
		return nil, nil, err
	}
	rng := rand.New(rand.NewPCG(3, 4))
	gst, err := e.Initial(rng, 300)
	if err != nil {
		return nil, nil, err
	}
	adapter = func() error {
		st := gst.Clone()
		_, err := e.Segment(ctx, &st, 300, *steps, rng)
		return err
	}
	// mdrun alone: the same run input, prepared once.
	mdp, err := gmx.MDP(gromacs.DefaultMDP, *steps, 300, 7)
	if err != nil {
		return nil, nil, err
	}
	if err = os.WriteFile(filepath.Join(dir, "bare.mdp"), []byte(mdp), 0o644); err != nil {
		return nil, nil, err
	}
	if err = run("grompp", "-f", "bare.mdp", "-c", "ww.gro", "-p", "topol.top", "-o", "bare.tpr", "-po", "bare-out.mdp"); err != nil {
		return nil, nil, err
	}
	mdrun = func() error { return run("mdrun", "-s", "bare.tpr", "-deffnm", "bare", "-nt", "1") }
	return adapter, mdrun, nil
}
