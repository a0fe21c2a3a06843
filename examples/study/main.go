//go:build linux

// The study runs its servers and Work Queue workers as Linux processes
// that die with it (Pdeathsig).

// Command study reruns the two experiments of the study burst was built
// from — replica exchange of the WW domain moved from a Work Queue cluster to
// serverless functions — and prints the study's numbers beside ours.
//
//	go run ./examples/study -exp 1     # storage modes: payload, objectstore (S3 server), shared (redis-server)
//	go run ./examples/study -exp 2     # replica sweep, burst against a real Work Queue baseline
//	go run ./examples/study -exp 2 -sizes 12:192:12 -rounds 100 -steps 10000   # the study's full size
//	go run ./examples/study -exp 1 -config burst.yaml                          # on any provider
//
// By default everything runs on this machine: process:// with one worker per
// core, a redis-server and an S3-compatible server (gofakes3) started on
// loopback, and Work Queue's own work_queue_worker, one per core. Sizes
// default to what finishes in about ten minutes on two cores; the output
// says how the run was scaled against the study. Each run writes its remd
// output folder; the experiment writes results.csv, report.md, the figures
// (SVG and PNG) and projection.csv into -out. docs/study.md explains them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/burst-dev/burst/internal/atomicfile"
	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml can name
	_ "github.com/burst-dev/burst/remd/engine/charmm"
	_ "github.com/burst-dev/burst/shared/redis"

	_ "github.com/burst-dev/burst/cloudfs/s3upload"
)

func main() {
	pool.Main()
	if len(os.Args) > 1 && os.Args[1] == wqTaskArg {
		os.Exit(wqTask(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "study:", err)
		os.Exit(2)
	}
}

// options are the command-line flags.
type options struct {
	exp                         int
	replicas, rounds, steps     int
	repeat, workers, memoryMB   int
	perWorker                   int
	cpu                         float64
	sizes, impls, out, config   string
	data, storageURL, sharedURL string
	seed                        uint64
	quiet                       bool
	set                         map[string]bool
	sizeList                    []int
	implList                    []string
	pcfg                        *providers.Config
	pdb, psf, par               string
	onRound                     func(string) // progress within a run, on a terminal
}

// Study sizes, for the defaults and for saying how a run was scaled.
const (
	studyExp1Replicas, studyExp1Rounds, studyExp1Steps = 72, 50, 100
	studyExp2Rounds, studyExp2Steps                    = 100, 10000
	studyExp2Sizes                                     = "12:192:12"
)

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("study", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.exp, "exp", 0, "experiment: 1 (storage modes) or 2 (replica sweep against Work Queue)")
	fs.IntVar(&o.replicas, "replicas", studyExp1Replicas, "-exp 1: replicas (the study: 72)")
	fs.IntVar(&o.rounds, "rounds", 0, "rounds (default: exp 1 50 as the study; exp 2 5, the study 100)")
	fs.IntVar(&o.steps, "steps", 0, "MD steps per segment (default: exp 1 100 as the study; exp 2 1000, the study 10000)")
	fs.IntVar(&o.repeat, "repeat", 3, "runs of each implementation (mean and sd over them)")
	fs.StringVar(&o.sizes, "sizes", "12:48:12", "-exp 2: replica counts, first:last:step or a comma list (the study: "+studyExp2Sizes+")")
	fs.StringVar(&o.impls, "impl", "", "implementations, comma-separated (default: exp 1 payload,objectstore,shared; exp 2 payload,objectstore,shared,workqueue)")
	fs.StringVar(&o.out, "out", "", "output directory (default study-exp1 or study-exp2)")
	fs.StringVar(&o.config, "config", "", "burst.yaml naming the provider (default: process:// with one worker per core on this machine)")
	fs.IntVar(&o.workers, "workers", runtime.NumCPU(), "workers on this machine: process:// workers and work_queue_workers (one core each)")
	fs.IntVar(&o.perWorker, "per-worker", 0, "calls each process:// worker runs at once (default: exp 1 2, so one call's storage round trips overlap another's MD; exp 2 1)")
	fs.StringVar(&o.data, "data", defaultData(), "directory with the WW domain's PDB, PSF and CHARMM parameters ($BURST_WW_DATA)")
	fs.StringVar(&o.storageURL, "storage-url", "", "cloudfs URL for objectstore (default: the config's storage, else an S3-compatible server started here, else file://)")
	fs.StringVar(&o.sharedURL, "shared-url", "", "shared URL for shared (default: the config's shared, else a redis-server started here)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed: the same for every implementation, so energies are identical")
	fs.IntVar(&o.memoryMB, "memory", 2048, "function memory billed, MB (the study: 2048)")
	fs.Float64Var(&o.cpu, "cpu", 1, "vCPUs billed where billed apart (the study: 1)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (all settings are flags; see -help)", fs.Args())
	}
	o.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.set[f.Name] = true })
	return o, o.check()
}

func (o *options) check() error {
	// 0 is "the experiment's default" only when the flag is not given: an
	// explicit -rounds 0 or -steps 0 is refused, not silently replaced.
	for _, v := range []struct {
		name string
		n    int
	}{{"rounds", o.rounds}, {"steps", o.steps}} {
		if o.set[v.name] && v.n < 1 {
			return fmt.Errorf("-%s %d: want a count ≥ 1", v.name, v.n)
		}
	}
	if o.set["impl"] && strings.TrimSpace(o.impls) == "" {
		return errors.New("-impl \"\": want payload, objectstore, shared or workqueue, comma-separated")
	}
	if !(o.cpu > 0) {
		return fmt.Errorf("-cpu %v: want the vCPUs billed, > 0", o.cpu)
	}
	switch o.exp {
	case 1:
		if o.rounds == 0 {
			o.rounds = studyExp1Rounds
		}
		if o.steps == 0 {
			o.steps = studyExp1Steps
		}
		if o.impls == "" {
			o.impls = "payload,objectstore,shared"
		}
		if !o.set["per-worker"] {
			// A 100-step segment is ~20 ms of MD, and an objectstore call
			// waits ~2 ms of it on its GET and PUT: with one call per core
			// the core idles meanwhile. Two calls per worker let one
			// compute while the other waits. Every storage mode runs on the
			// same pool, so the comparison stays fair.
			o.perWorker = 2
		}
		if o.set["sizes"] {
			return errors.New("-sizes is for -exp 2; -exp 1 takes -replicas")
		}
	case 2:
		if o.rounds == 0 {
			o.rounds = 5
		}
		if o.steps == 0 {
			o.steps = 1000
		}
		if o.impls == "" {
			o.impls = "payload,objectstore,shared,workqueue"
		}
		if o.set["replicas"] {
			return errors.New("-replicas is for -exp 1; -exp 2 takes -sizes")
		}
		if !o.set["per-worker"] {
			o.perWorker = 1
		}
		if !o.set["repeat"] {
			o.repeat = 1
		}
		var err error
		if o.sizeList, err = parseSizes(o.sizes); err != nil {
			return err
		}
	default:
		return errors.New("-exp: want 1 (storage modes) or 2 (replica sweep against Work Queue)")
	}
	if o.exp == 1 {
		if o.replicas < 2 {
			return fmt.Errorf("-replicas %d: need at least 2", o.replicas)
		}
		o.sizeList = []int{o.replicas}
	}
	for _, v := range []struct {
		name string
		n    int
	}{{"rounds", o.rounds}, {"steps", o.steps}, {"repeat", o.repeat}, {"workers", o.workers}, {"per-worker", o.perWorker}} {
		if v.n < 1 {
			return fmt.Errorf("-%s %d: want a count ≥ 1", v.name, v.n)
		}
	}
	if o.memoryMB < 128 {
		return fmt.Errorf("-memory %d: want MB ≥ 128", o.memoryMB)
	}
	for _, s := range strings.Split(o.impls, ",") {
		s = strings.TrimSpace(s)
		switch s {
		case "payload", "objectstore", "shared":
		case "workqueue":
			if o.exp != 2 {
				return errors.New("-impl workqueue is the baseline of -exp 2")
			}
		default:
			return fmt.Errorf("-impl %q: want payload, objectstore, shared or workqueue", s)
		}
		o.implList = append(o.implList, s)
	}
	if o.out == "" {
		o.out = "study-exp" + strconv.Itoa(o.exp)
	}
	if o.config != "" {
		cfg, err := providers.Load(o.config)
		if err != nil {
			return fmt.Errorf("-config: %w", err)
		}
		o.pcfg = cfg
		if o.set["workers"] || o.set["per-worker"] {
			return errors.New("-workers and -per-worker are for this machine; with -config the provider's limit applies")
		}
	}
	data, err := filepath.Abs(o.data)
	if err != nil {
		return err
	}
	o.pdb = filepath.Join(data, "ww_exteq_nowater1.pdb")
	o.psf = filepath.Join(data, "ww_exteq_nowater1.psf")
	o.par = filepath.Join(data, "par_all27_prot_lipid.inp")
	for _, f := range []string{o.pdb, o.psf, o.par} {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("-data %s: %w (the WW domain's ww_exteq_nowater1.pdb, .psf and par_all27_prot_lipid.inp)", o.data, err)
		}
	}
	return nil
}

func defaultData() string {
	if d := os.Getenv("BURST_WW_DATA"); d != "" {
		return d
	}
	return "../shared/data/ww"
}

// maxSizes bounds the replica counts of -sizes (the study ran 16): a typo
// like 12:1000000000:1 would otherwise fill memory before anything runs.
const maxSizes = 1000

// parseSizes reads first:last:step or a comma list.
func parseSizes(s string) ([]int, error) {
	bad := fmt.Errorf("-sizes %q: want first:last:step (e.g. %s) or a comma list of replica counts ≥ 2", s, studyExp2Sizes)
	var out []int
	if p := strings.Split(s, ":"); len(p) == 3 {
		var v [3]int
		for i := range p {
			n, err := strconv.Atoi(strings.TrimSpace(p[i]))
			if err != nil {
				return nil, bad
			}
			v[i] = n
		}
		if v[0] < 2 || v[1] < v[0] || v[2] < 1 {
			return nil, bad
		}
		if (v[1]-v[0])/v[2] >= maxSizes {
			return nil, fmt.Errorf("-sizes %q: %d replica counts, want at most %d", s, (v[1]-v[0])/v[2]+1, maxSizes)
		}
		for n := v[0]; n <= v[1]; n += v[2] {
			out = append(out, n)
		}
		return out, nil
	}
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 2 {
			return nil, bad
		}
		out = append(out, n)
	}
	return out, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parse(args, stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	lock, err := lockOut(o.out)
	if err != nil {
		return err
	}
	defer lock.Close()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fmt.Fprintln(stdout, o.scaling())

	env, err := o.startServices(ctx, stdout)
	if err != nil {
		return err
	}
	defer env.stop()

	var rows []row
	var timelines []*timeline
	// On a terminal: a line per round being run, and one per finished run;
	// piped: only the report.
	progress := func(string) {}
	if !o.quiet && isTerminal(stdout) {
		progress = func(s string) { fmt.Fprintf(stdout, "\r\033[K%s\n", s) }
		o.onRound = func(s string) { fmt.Fprintf(stdout, "\r\033[K%s", s) }
	}
	for _, n := range o.sizeList {
		for rep := range o.repeat {
			for _, impl := range o.implList {
				r, tl, err := o.runOne(ctx, env, impl, n, rep, log)
				if err != nil {
					return o.noResume(fmt.Errorf("%s, %d replicas, run %d: %w", impl, n, rep+1, err), args, len(rows))
				}
				rows = append(rows, r)
				timelines = append(timelines, tl)
				progress(r.line())
				// After every run, so that a study stopped later (killed,
				// a full disk, a failed run) keeps the rows of those done.
				if err := writeResults(filepath.Join(o.out, "results.csv"), rows); err != nil {
					return err
				}
			}
		}
	}
	if o.exp == 2 && slices.Contains(o.implList, "workqueue") && slices.Contains(o.implList, "payload") {
		same, where := sameEnergies(o.out, rows)
		fmt.Fprintf(stdout, "energies.csv of burst (payload) and Work Queue byte-identical: %v (%s)\n", same, where)
	}
	if err := writeResults(filepath.Join(o.out, "results.csv"), rows); err != nil {
		return err
	}
	proj := o.project(rows, timelines)
	if err := writeProjection(filepath.Join(o.out, "projection.csv"), proj); err != nil {
		return err
	}
	if err := o.plots(rows); err != nil {
		return err
	}
	md := o.report(rows, proj, env)
	if err := atomicfile.Write(filepath.Join(o.out, "report.md"), 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, md)
		return err
	}); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	fmt.Fprint(stdout, md)
	fmt.Fprintf(stdout, "\nwrote %s/{results.csv,projection.csv,report.md,fig*.svg,fig*.png} and one remd folder per run\n", o.out)
	return nil
}

// noResume adds to err, if it advises -resume, what the study can do
// instead. remd's errors name examples/remd's -resume (continue a run from
// its checkpoint, or do not), which the study has not: a continued run's
// wall time and call timeline would not be one run's, and the study
// measures each run whole. So the way on is to run the study again with
// the same flags (given here, quoted for a shell); it starts every run
// afresh and rewrites results.csv, which holds the rows of the finished
// runs until then.
func (o *options) noResume(err error, args []string, finished int) error {
	if !strings.Contains(err.Error(), "-resume") {
		return err
	}
	keep := ""
	if finished > 0 {
		keep = fmt.Sprintf("; it rewrites %s, so copy that first to keep the rows of the %d runs that finished",
			filepath.Join(o.out, "results.csv"), finished)
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = shellQuote(a)
	}
	return fmt.Errorf("%w\n(that -resume is examples/remd's; the study has no -resume, as it measures each run whole: "+
		"once what stopped the run is dealt with, run the study again from the repository's root, which starts its runs afresh%s:\n\tgo run ./examples/study %s)",
		err, keep, strings.Join(quoted, " "))
}

// shellQuote quotes s for a POSIX shell if it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,=@%+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// scaling says plainly how this run relates to the study's size.
func (o *options) scaling() string {
	where := fmt.Sprintf("this machine (process:// with %d workers, one per core, %d calls at once each)", o.workers, o.perWorker)
	if o.pcfg != nil {
		where = "the provider of " + o.config
	}
	if o.exp == 1 {
		s := fmt.Sprintf("experiment 1 (storage modes) on %s: %d replicas, %d rounds × %d steps, %d run(s) of each of %s",
			where, o.replicas, o.rounds, o.steps, o.repeat, strings.Join(o.implList, ", "))
		if o.replicas == studyExp1Replicas && o.rounds == studyExp1Rounds && o.steps == studyExp1Steps {
			return s + "\nscale: the study's size (72 replicas, 50 rounds × 100 steps); the study ran on IBM Cloud Functions, 2 GB (1 vCPU) per call, with up to 72 calls at once"
		}
		return s + fmt.Sprintf("\nscale: scaled from the study's 72 replicas, 50 rounds × 100 steps (%.3g× the segments' work)",
			float64(o.replicas*o.rounds*o.steps)/float64(studyExp1Replicas*studyExp1Rounds*studyExp1Steps))
	}
	total := 0
	for _, n := range o.sizeList {
		total += n
	}
	study := 0
	for n := 12; n <= 192; n += 12 {
		study += n
	}
	return fmt.Sprintf("experiment 2 (replica sweep) on %s: replicas %v, %d rounds × %d steps, %d run(s) of each of %s\n"+
		"scale: the study ran replicas 12…192 (step 12), 100 rounds × 10 000 steps with one worker (core) per replica; "+
		"this run does %.2g%% of its MD steps on %d cores, so wall times are not comparable, ratios are; the projection "+
		"scales the measured timeline to the study's full size",
		where, o.sizeList, o.rounds, o.steps, o.repeat, strings.Join(o.implList, ", "),
		100*float64(total*o.rounds*o.steps)/float64(study*studyExp2Rounds*studyExp2Steps), o.workers)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
