//go:build linux

// remd-vs-gromacs reads per-thread CPU time, which only Linux offers here.

// Command remd-vs-gromacs measures issue 18's three figures in one run on
// one machine, each as a ratio against a baseline measured in the same run:
//
//  1. the WW domain's replica exchange, 16 replicas on a 300–400 K geometric
//     ladder, 20 rounds × 1000 steps of 2 fs: GROMACS's own
//     (mpirun -np 16 gmx_mpi mdrun -multidir … -replex 1000 -ntomp 1) against
//     burst's (examples/remd -system ww -replicas 16 -rounds 20 -steps 1000);
//  2. one Go 1000-step segment alone against two at once in one process, the
//     way a replica exchange runs them on two cores;
//  3. one Go 1000-step segment alone against `gmx mdrun -nt 1` for the same
//     segment (the process's wall time, as examples/ww-bench measures it).
//
// Run it from the repository root on an otherwise idle machine:
//
//	go run ./examples/remd-vs-gromacs            # all three (about 4 minutes on 2 cores)
//	go run ./examples/remd-vs-gromacs -only 2,3  # the engine figures only
//
// Figure 1 needs gmx, gmx_mpi and mpirun (Debian: gromacs, gromacs-openmpi,
// openmpi-bin); figure 3 needs gmx.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/burst-dev/burst/internal/gmx"
	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/remd/engine/charmm"
	"github.com/burst-dev/burst/remd/engine/gromacs"
)

var (
	only     = flag.String("only", "1,2,3", "comma-separated figures to measure")
	replicas = flag.Int("replicas", 16, "figure 1: replicas")
	rounds   = flag.Int("rounds", 20, "figure 1: exchange rounds")
	steps    = flag.Int("steps", 1000, "steps per segment (and per exchange)")
	reps     = flag.Int("reps", 5, "figures 2 and 3: interleaved repetitions (the median is reported)")
	backend  = flag.String("backend", "local://", "figure 1: burst's pool URL (examples/remd -backend)")
	gmxExe   = flag.String("gmx", "gmx", "GROMACS executable (grompp, pdb2gmx, mdrun -nt 1)")
	gmxMPI   = flag.String("gmx-mpi", "gmx_mpi", "GROMACS executable built with MPI")
	mpirun   = flag.String("mpirun", "mpirun", "MPI launcher")
	keep     = flag.String("keep", "", "keep the run folders in this directory (default: a temporary one, removed)")
)

func main() {
	flag.Parse()
	log.SetFlags(0)
	want := map[string]bool{}
	for _, f := range strings.Split(*only, ",") {
		want[strings.TrimSpace(f)] = true
	}
	dir := *keep
	if dir == "" {
		d, err := os.MkdirTemp("", "remd-vs-gromacs-*")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatal(err)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	fmt.Printf("remd-vs-gromacs: %s/%s, %d CPUs, GOMAXPROCS %d, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), load())
	if want["1"] {
		if err := figure1(ctx, dir); err != nil {
			log.Fatalf("figure 1: %v", err)
		}
	}
	if want["2"] {
		if err := figure2(ctx); err != nil {
			log.Fatalf("figure 2: %v", err)
		}
	}
	if want["3"] {
		if err := figure3(ctx, dir); err != nil {
			log.Fatalf("figure 3: %v", err)
		}
	}
}

// load is the load average, printed beside every figure.
func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load unknown"
	}
	f := strings.Fields(string(b))
	return "load " + strings.Join(f[:min(3, len(f))], " ")
}

var tty = func() bool { st, err := os.Stderr.Stat(); return err == nil && st.Mode()&os.ModeCharDevice != 0 }()

func progress(format string, args ...any) {
	if tty {
		fmt.Fprintf(os.Stderr, "… "+format+"\n", args...)
	}
}

// figure1 runs both replica exchanges and prints their walls.
func figure1(ctx context.Context, dir string) error {
	gdir := filepath.Join(dir, "gromacs-remd")
	temps := geometric(300, 400, *replicas)
	dirs, err := prepareGROMACSREMD(ctx, gdir, temps)
	if err != nil {
		return err
	}
	progress("building examples/remd")
	bin := filepath.Join(dir, "remd")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./examples/remd").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./examples/remd (run from the repository root): %w\n%s", err, out)
	}

	fmt.Printf("\nFigure 1: WW REMD, %d replicas %g-%g K, %d rounds × %d steps of 2 fs\n", *replicas, temps[0], temps[len(temps)-1], *rounds, *steps)
	progress("GROMACS: mpirun -np %d gmx_mpi mdrun -multidir … -replex %d", *replicas, *steps)
	l0 := load()
	args := []string{"--allow-run-as-root", "--oversubscribe", "-np", fmt.Sprint(*replicas), *gmxMPI, "mdrun", "-multidir"}
	args = append(args, dirs...)
	args = append(args, "-replex", fmt.Sprint(*steps), "-ntomp", "1", "-s", "topol.tpr")
	t0 := time.Now()
	cmd := exec.CommandContext(ctx, *mpirun, args...)
	cmd.Dir = gdir
	cmd.Env = append(os.Environ(), "GMX_MAXBACKUP=-1", "OMPI_MCA_plm_rsh_agent=", "OMP_NUM_THREADS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", *mpirun, strings.Join(args, " "), err, gmx.Tail(out))
	}
	gWall := time.Since(t0)
	acc := exchangeSummary(filepath.Join(gdir, dirs[0], "md.log"))
	fmt.Printf("  %-60s %8.1f s  (%s → %s)%s\n", fmt.Sprintf("GROMACS gmx_mpi mdrun -multidir -replex, %d MPI ranks", *replicas), gWall.Seconds(), l0, load(), acc)

	progress("burst: examples/remd -system ww")
	l0 = load()
	out := filepath.Join(dir, "burst-remd")
	bargs := []string{"-system", "ww", "-replicas", fmt.Sprint(*replicas), "-rounds", fmt.Sprint(*rounds), "-steps", fmt.Sprint(*steps),
		"-backend", *backend, "-out", out, "-quiet"}
	t0 = time.Now()
	if o, err := exec.CommandContext(ctx, bin, bargs...).CombinedOutput(); err != nil {
		return fmt.Errorf("examples/remd %s: %w\n%s", strings.Join(bargs, " "), err, gmx.Tail(o))
	}
	bWall := time.Since(t0)
	fmt.Printf("  %-60s %8.1f s  (%s → %s)\n", "burst examples/remd -system ww -backend "+*backend, bWall.Seconds(), l0, load())
	var sum struct {
		Engine     float64 `json:"engine_seconds"`
		Efficiency float64 `json:"parallel_efficiency"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "summary.json")); err == nil && json.Unmarshal(b, &sum) == nil {
		fmt.Printf("    burst engine time %.1f s, %.3f s per segment (thread CPU), parallel efficiency %.3f\n",
			sum.Engine, sum.Engine/float64(*replicas**rounds), sum.Efficiency)
	}
	fmt.Printf("  burst / GROMACS wall: %.2fx (goal ≤ 1.0x)\n", bWall.Seconds()/gWall.Seconds())
	return nil
}

// exchangeSummary returns GROMACS's replica-exchange acceptance line, if
// the log has one.
func exchangeSummary(logFile string) string {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Repl  average probabilities:") && i+2 < len(lines) {
			return "\n    GROMACS acceptance (average probabilities): " + strings.TrimSpace(strings.TrimPrefix(lines[i+2], "Repl"))
		}
	}
	return ""
}

func geometric(lo, hi float64, n int) []float64 {
	ts := make([]float64, n)
	for i := range ts {
		ts[i] = lo * math.Pow(hi/lo, float64(i)/float64(max(n-1, 1)))
	}
	return ts
}

// prepareGROMACSREMD builds the WW domain for GROMACS (charmm27, no CMAP,
// 12 nm box) and one run input per replica in gdir/rNN, with the gromacs
// engine's default settings (sd, γ 5/ps, h-bond constraints, switched LJ
// 10–12 Å, cut-off Coulomb 12 Å) at its temperature, for the whole run.
func prepareGROMACSREMD(ctx context.Context, gdir string, temps []float64) ([]string, error) {
	if err := os.MkdirAll(gdir, 0o755); err != nil {
		return nil, err
	}
	if err := buildWW(ctx, gdir); err != nil {
		return nil, err
	}
	var dirs []string
	for k, t := range temps {
		d := fmt.Sprintf("r%02d", k)
		dirs = append(dirs, d)
		progress("GROMACS: grompp replica %d/%d", k+1, len(temps))
		if err := os.MkdirAll(filepath.Join(gdir, d), 0o755); err != nil {
			return nil, err
		}
		if err := writeMDP(filepath.Join(gdir, d, "remd.mdp"), *rounds**steps, t, 7+k); err != nil {
			return nil, err
		}
		if err := gmxRun(ctx, filepath.Join(gdir, d), "grompp", "-f", "remd.mdp", "-c", "../ww.gro", "-p", "../topol.top", "-o", "topol.tpr", "-po", "mdout.mdp"); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// buildWW writes ww.gro and topol.top into dir, as examples/ww-bench does.
func buildWW(ctx context.Context, dir string) error {
	progress("GROMACS: pdb2gmx")
	_, _, err := gmx.WW(ctx, *gmxExe, charmm.DefaultPath(charmm.DefaultPDB), dir, 12)
	return err
}

func gmxRun(ctx context.Context, dir string, args ...string) error {
	_, err := gmx.Run(ctx, *gmxExe, dir, "", args...)
	return err
}

// writeMDP writes the gromacs engine's default template to file, with
// velocities drawn at t.
func writeMDP(file string, steps int, t float64, seed int) error {
	text, err := gmx.MDP(gromacs.DefaultMDP, steps, t, seed)
	if err != nil {
		return err
	}
	return os.WriteFile(file, []byte(text), 0o644)
}

// segmentTiming is one segment's wall and thread CPU time.
type segmentTiming struct{ wall, cpu time.Duration }

// segment runs one Go segment on the calling goroutine's thread.
func segment(ctx context.Context, e engine.Engine, st0 engine.State, seed uint64) (segmentTiming, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	st := st0.Clone()
	rng := rand.New(rand.NewPCG(seed, 2))
	c0, t0 := threadCPU(), time.Now()
	_, err := e.Segment(ctx, &st, 300, *steps, rng)
	return segmentTiming{time.Since(t0), threadCPU() - c0}, err
}

func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}

func newEngine() (engine.Engine, engine.State, error) {
	e, err := engine.New(engine.Spec{Name: "ww"})
	if err != nil {
		return nil, engine.State{}, err
	}
	st, err := e.Initial(rand.New(rand.NewPCG(1, 2)), 300)
	return e, st, err
}

// figure2 runs one segment alone and two at once (two goroutines, as
// local:// runs a replica exchange on two cores), interleaved, and compares
// the median per-segment wall and CPU times.
func figure2(ctx context.Context) error {
	e, st0, err := newEngine()
	if err != nil {
		return err
	}
	if _, err := segment(ctx, e, st0, 1); err != nil { // warm the engine's pool
		return err
	}
	l0 := load()
	var alone, pair []segmentTiming
	for r := range *reps {
		progress("figure 2: round %d/%d", r+1, *reps)
		t, err := segment(ctx, e, st0, uint64(r))
		if err != nil {
			return err
		}
		alone = append(alone, t)
		var wg sync.WaitGroup
		var mu sync.Mutex
		var errs []error
		for k := range 2 {
			wg.Go(func() {
				t, err := segment(ctx, e, st0, uint64(10*r+k))
				mu.Lock()
				defer mu.Unlock()
				pair = append(pair, t)
				errs = append(errs, err)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
	}
	a, p := median(alone), median(pair)
	fmt.Printf("\nFigure 2: one %d-step Go segment alone vs two at once (two goroutines), median of %d (%s → %s)\n", *steps, *reps, l0, load())
	fmt.Printf("  %-30s %10s %10s\n", "", "wall", "thread CPU")
	fmt.Printf("  %-30s %10s %10s\n", "one alone", a.wall.Round(time.Millisecond), a.cpu.Round(time.Millisecond))
	fmt.Printf("  %-30s %10s %10s\n", "two at once, per segment", p.wall.Round(time.Millisecond), p.cpu.Round(time.Millisecond))
	fmt.Printf("  two at once / alone: wall %.2fx, CPU %.2fx (goal ≤ 1.15x)\n", p.wall.Seconds()/a.wall.Seconds(), p.cpu.Seconds()/a.cpu.Seconds())
	return nil
}

func median(ts []segmentTiming) segmentTiming {
	w := make([]time.Duration, len(ts))
	c := make([]time.Duration, len(ts))
	for i, t := range ts {
		w[i], c[i] = t.wall, t.cpu
	}
	slices.Sort(w)
	slices.Sort(c)
	return segmentTiming{w[len(w)/2], c[len(c)/2]}
}

// figure3 compares one Go segment with mdrun -nt 1 running the same
// segment from a run input prepared once, interleaved.
func figure3(ctx context.Context, dir string) error {
	e, st0, err := newEngine()
	if err != nil {
		return err
	}
	gdir := filepath.Join(dir, "gromacs-segment")
	if err := os.MkdirAll(gdir, 0o755); err != nil {
		return err
	}
	if err := buildWW(ctx, gdir); err != nil {
		return err
	}
	if err := writeMDP(filepath.Join(gdir, "seg.mdp"), *steps, 300, 7); err != nil {
		return err
	}
	if err := gmxRun(ctx, gdir, "grompp", "-f", "seg.mdp", "-c", "ww.gro", "-p", "topol.top", "-o", "seg.tpr", "-po", "seg-out.mdp"); err != nil {
		return err
	}
	if _, err := segment(ctx, e, st0, 1); err != nil {
		return err
	}
	l0 := load()
	var goT, mdT []time.Duration
	for r := range *reps {
		progress("figure 3: round %d/%d", r+1, *reps)
		t, err := segment(ctx, e, st0, uint64(r))
		if err != nil {
			return err
		}
		goT = append(goT, t.wall)
		t0 := time.Now()
		if err := gmxRun(ctx, gdir, "mdrun", "-s", "seg.tpr", "-deffnm", "seg", "-nt", "1"); err != nil {
			return err
		}
		mdT = append(mdT, time.Since(t0))
	}
	slices.Sort(goT)
	slices.Sort(mdT)
	g, m := goT[len(goT)/2], mdT[len(mdT)/2]
	fmt.Printf("\nFigure 3: one %d-step segment alone, median of %d interleaved (%s → %s)\n", *steps, *reps, l0, load())
	fmt.Printf("  %-40s %10s\n", "Go ww engine, Segment", g.Round(time.Millisecond))
	fmt.Printf("  %-40s %10s\n", "gmx mdrun -nt 1 (process wall)", m.Round(time.Millisecond))
	fmt.Printf("  Go / mdrun: %.2fx (goal ≤ 0.8x)\n", g.Seconds()/m.Seconds())
	return nil
}
