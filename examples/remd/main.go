// Command remd runs replica-exchange molecular dynamics on a burst pool and
// writes a report: the main job of burst.
//
//	go run ./examples/remd                       # LJ13 demo, in-process, < 1 minute
//	go run ./examples/remd -system doublewell -rounds 5000
//	go run ./examples/remd -system lj38 -replicas 192 -rounds 100 -steps 1000 -backend 'process://?workers=2'
//	go run ./examples/remd -storage objectstore -storage-url file:///tmp/states -out run1
//	go run ./examples/remd -out run1 -resume     # continue a killed run
//
// The output files (summary.json, energies.csv, samples.csv, exchanges.csv,
// walks.csv, timing.csv, report.svg, report.png) are described in
// docs/remd.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/providers"
	_ "github.com/burst-dev/burst/providers/all" // every backend and store burst.yaml can name
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/remd/engine/charmm"
	_ "github.com/burst-dev/burst/remd/engine/gromacs"
	_ "github.com/burst-dev/burst/remd/engine/model"
	"github.com/burst-dev/burst/remd/report"
	_ "github.com/burst-dev/burst/shared/redis"
)

func main() {
	pool.Main()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "remd:", strings.TrimPrefix(err.Error(), "remd: "))
		os.Exit(2)
	}
}

// options are the command-line flags.
type options struct {
	system, ladder, temps, exchange         string
	replicas, rounds, steps, dim, swaps     int
	segmentsPerCall                         int
	tmin, tmax, dt, gamma, container        float64
	seed                                    uint64
	backend, storage, storageURL, sharedURL string
	out, config, engineOptions              string
	pdb, psf, par                           string
	resume, quiet, durable                  bool
}

func parse(args []string, stderr io.Writer) (*options, map[string]bool, error) {
	o := &options{}
	fs := flag.NewFlagSet("remd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.system, "system", "lj13", "system: harmonic, doublewell, lj13, lj38, or ljN for any N ≥ 2 atoms"+otherEngines())
	fs.IntVar(&o.replicas, "replicas", 8, "number of replicas (temperatures)")
	fs.Var(finite{&o.tmin}, "tmin", "lowest `temperature` (default: the system's, see -help)")
	fs.Var(finite{&o.tmax}, "tmax", "highest `temperature` (default: the system's)")
	fs.StringVar(&o.ladder, "ladder", "geometric", "temperature ladder: geometric, linear, or list (with -temps)")
	fs.StringVar(&o.temps, "temps", "", "explicit comma-separated temperatures, increasing (implies -ladder list)")
	fs.IntVar(&o.rounds, "rounds", 1000, "rounds (one segment per replica, then exchanges)")
	fs.IntVar(&o.steps, "steps", 500, "MD steps per segment")
	fs.Var(finite{&o.dt}, "dt", "`time step` (default: the system's: harmonic 0.05, doublewell 0.01, lj 0.005)")
	o.gamma = 1
	fs.Var(finite{&o.gamma}, "gamma", "Langevin `friction`; 0 gives Newtonian dynamics")
	fs.IntVar(&o.dim, "dim", 1, "dimensions of -system harmonic")
	fs.StringVar(&o.engineOptions, "options", "", "engine options as a JSON object, for systems other than the model ones (e.g. -system ww -options '{\"shake\":false}'); -dt and -gamma are added to it")
	fs.StringVar(&o.pdb, "pdb", "", "-system ww: coordinates, PDB (default "+charmm.DefaultPDB+", or in $"+charmm.EnvData+")")
	fs.StringVar(&o.psf, "psf", "", "-system ww: topology, X-PLOR PSF (default "+charmm.DefaultPSF+", or in $"+charmm.EnvData+")")
	fs.StringVar(&o.par, "par", "", "-system ww: CHARMM parameters (default "+charmm.DefaultPar+", or in $"+charmm.EnvData+")")
	o.container = 2.25
	fs.Var(finite{&o.container}, "container", "container `radius` R_c of Lennard-Jones clusters")
	fs.StringVar(&o.exchange, "exchange", "neighbors", "exchange scheme: neighbors or swap-all")
	fs.IntVar(&o.swaps, "swaps", 0, "swap-all: attempts per round (default: one per replica)")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed; one seed gives identical output on every backend and storage")
	fs.StringVar(&o.backend, "backend", "local://", "pool URL: local://, process://?workers=N, …")
	fs.StringVar(&o.config, "config", "", "burst.yaml naming the backend (instead of -backend); its storage and shared URLs are the defaults of -storage-url and -shared-url")
	fs.StringVar(&o.storage, "storage", "payload", "where replica states live: payload, objectstore, or shared")
	fs.StringVar(&o.storageURL, "storage-url", "", "cloudfs URL for -storage objectstore (file:///dir, s3://bucket, mem://)")
	fs.StringVar(&o.sharedURL, "shared-url", "", "shared URL for -storage shared (redis://host:port/0, mem://)")
	fs.IntVar(&o.segmentsPerCall, "segments-per-call", 0, "segments one pool call runs, one after another: 0 packs short segments when calls leave the process and the pool has few slots; 1 gives every segment a call of its own (the output is the same)")
	fs.StringVar(&o.out, "out", "remd-out", "output directory")
	fs.BoolVar(&o.resume, "resume", false, "continue the run checkpointed in -out (its settings must match)")
	fs.BoolVar(&o.durable, "durable", false, "sync files and checkpoint to disk every round (survives a machine crash, not only a killed run)")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress bar and no summary on stdout")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		return nil, nil, fmt.Errorf("unexpected arguments %q (all settings are flags; see -help)", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.out == "" {
		return nil, nil, errors.New(`-out "": give the directory for the output files and the checkpoint (default remd-out)`)
	}
	if fi, err := os.Stat(o.out); err == nil && !fi.IsDir() {
		return nil, nil, fmt.Errorf("-out %s is a file: want a directory for the output files and the checkpoint (it is made if missing)", o.out)
	}
	if set["dt"] && !(o.dt > 0) {
		return nil, nil, fmt.Errorf("-dt %s: want a time step > 0 (omit -dt for the system's default)", num(o.dt))
	}
	return o, set, nil
}

// finite is a float64 flag that refuses NaN and infinities, which
// strconv.ParseFloat accepts but no setting of remd means.
type finite struct{ v *float64 }

func (f finite) String() string {
	if f.v == nil {
		return "0"
	}
	return num(*f.v)
}

func (f finite) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return errors.New("want a number")
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return errors.New("want a finite number")
	}
	*f.v = v
	return nil
}

func otherEngines() string {
	var other []string
	for _, n := range engine.Names() {
		switch n {
		case "harmonic", "doublewell", "lj", "lj13", "lj38":
		default:
			other = append(other, n)
		}
	}
	if len(other) == 0 {
		return ""
	}
	return ", " + strings.Join(other, ", ")
}

// systemDefaults are temperature ranges where each model system is
// interesting: the double well's barrier is crossed only thanks to the hot
// replicas, and LJ clusters span solid-like to liquid-like.
var systemDefaults = map[string][2]float64{
	"harmonic":   {1, 4},
	"doublewell": {0.3, 3},
	"lj":         {0.1, 0.45},
	"ww":         {300, 400}, // kelvin, the study's ladder
}

// config turns flags into a remd.Config, rejecting bad values and
// combinations with the allowed values named.
func (o *options) remdConfig(set map[string]bool) (remd.Config, error) {
	cfg := remd.Config{
		Rounds: o.rounds, Steps: o.steps, Seed: o.seed, Out: o.out, Resume: o.resume, Durable: o.durable,
		Exchange: remd.Scheme(o.exchange), SwapAttempts: o.swaps, Backend: o.backend,
		Storage: remd.Storage(o.storage), StorageURL: o.storageURL, SharedURL: o.sharedURL,
		SegmentsPerCall: o.segmentsPerCall,
	}
	if o.segmentsPerCall < 0 {
		return cfg, fmt.Errorf("-segments-per-call %d: want 1 or more, or 0 to pack short segments automatically", o.segmentsPerCall)
	}
	kind := o.system
	opts := []string{}
	if set["dt"] {
		opts = append(opts, fmt.Sprintf(`"dt":%s`, num(o.dt)))
	}
	if set["gamma"] {
		opts = append(opts, fmt.Sprintf(`"gamma":%s`, num(o.gamma)))
	}
	switch {
	case o.system == "harmonic":
		opts = append(opts, fmt.Sprintf(`"dim":%d`, o.dim))
	case o.system == "doublewell":
	case strings.HasPrefix(o.system, "lj"):
		n, err := strconv.Atoi(strings.TrimPrefix(o.system, "lj"))
		if err != nil || n < 2 {
			return cfg, fmt.Errorf("-system %q: Lennard-Jones clusters are named ljN with N ≥ 2 atoms, e.g. lj13, lj38, lj55", o.system)
		}
		kind = "lj"
		opts = append(opts, fmt.Sprintf(`"n":%d`, n), fmt.Sprintf(`"container":%s`, num(o.container)))
	default:
		if !slicesContains(engine.Names(), o.system) {
			return cfg, fmt.Errorf("-system %q: want harmonic, doublewell, lj13, lj38 or ljN%s", o.system, otherEngines())
		}
		kind = ""
		m := map[string]json.RawMessage{}
		if o.engineOptions != "" {
			if err := json.Unmarshal([]byte(o.engineOptions), &m); err != nil {
				return cfg, fmt.Errorf("-options %s: want a JSON object such as '{\"shake\":false}': %v", o.engineOptions, err)
			}
		}
		for _, f := range []struct {
			name string
			v    json.RawMessage
		}{{"dt", json.RawMessage(num(o.dt))}, {"gamma", json.RawMessage(num(o.gamma))},
			{"pdb", quote(o.pdb)}, {"psf", quote(o.psf)}, {"par", quote(o.par)}} {
			if !set[f.name] {
				continue
			}
			if _, dup := m[f.name]; dup {
				return cfg, fmt.Errorf("-%s and -options both set %q; give it once", f.name, f.name)
			}
			m[f.name] = f.v
		}
		b, _ := json.Marshal(m) // sorted keys: the same flags give the same Spec
		cfg.Engine.Options = b
	}
	if o.engineOptions != "" && kind != "" {
		return cfg, fmt.Errorf("-options is for engines other than the model systems; -system %s takes -dt, -gamma, -dim, -container", o.system)
	}
	for _, f := range []string{"pdb", "psf", "par"} {
		if set[f] && o.system != "ww" {
			return cfg, fmt.Errorf("-%s applies only to -system ww (got -system %s)", f, o.system)
		}
	}
	if set["dim"] && o.system != "harmonic" {
		return cfg, fmt.Errorf("-dim applies only to -system harmonic (got -system %s)", o.system)
	}
	if set["container"] && kind != "lj" {
		return cfg, fmt.Errorf("-container applies only to Lennard-Jones systems (ljN), not -system %s", o.system)
	}
	cfg.System = o.system
	cfg.Engine.Name = o.system
	if kind == "lj" {
		cfg.Engine.Name = "lj"
	}
	if kind != "" {
		cfg.Engine.Options = []byte("{" + strings.Join(opts, ",") + "}")
	}

	if !slicesContains([]string{"neighbors", "swap-all"}, o.exchange) {
		return cfg, fmt.Errorf("-exchange %q: want neighbors or swap-all", o.exchange)
	}
	if set["swaps"] && o.exchange != "swap-all" {
		return cfg, errors.New("-swaps applies only to -exchange swap-all")
	}
	switch cfg.Storage {
	case remd.Payload:
		if o.storageURL != "" || o.sharedURL != "" {
			return cfg, errors.New("-storage-url and -shared-url apply to -storage objectstore and shared; payload storage keeps states in the calls")
		}
	case remd.ObjectStore:
		if o.storageURL == "" {
			return cfg, errors.New("-storage objectstore needs -storage-url, a cloudfs URL such as file:///tmp/remd-states or s3://bucket")
		}
		if o.sharedURL != "" {
			return cfg, errors.New("-shared-url applies to -storage shared, not objectstore")
		}
	case remd.Shared:
		if o.sharedURL == "" {
			return cfg, errors.New("-storage shared needs -shared-url, such as redis://127.0.0.1:6379/0 or mem://")
		}
		if o.storageURL != "" {
			return cfg, errors.New("-storage-url applies to -storage objectstore, not shared")
		}
	default:
		return cfg, fmt.Errorf("-storage %q: want payload, objectstore or shared", o.storage)
	}
	inProcess := strings.HasPrefix(o.backend, "local:")
	for _, u := range []string{o.storageURL, o.sharedURL} {
		if strings.HasPrefix(u, "mem:") && !inProcess {
			return cfg, fmt.Errorf("%s lives in this process only; workers of -backend %s cannot see it (use file://, s3://, redis://, … or -backend local://)", u, o.backend)
		}
	}

	// The ladder.
	if o.temps != "" {
		if set["ladder"] && o.ladder != "list" {
			return cfg, fmt.Errorf("-temps gives the temperatures explicitly; it cannot be combined with -ladder %s", o.ladder)
		}
		for _, f := range []string{"tmin", "tmax", "replicas"} {
			if set[f] {
				return cfg, fmt.Errorf("-temps gives the temperatures explicitly; drop -%s", f)
			}
		}
		for _, s := range strings.Split(o.temps, ",") {
			t, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil {
				return cfg, fmt.Errorf("-temps: %q is not a number (want e.g. -temps 0.3,0.5,0.9)", s)
			}
			cfg.Temperatures = append(cfg.Temperatures, t)
		}
		if err := remd.CheckTemperatures(cfg.Temperatures); err != nil {
			return cfg, fmt.Errorf("-temps: %w", err)
		}
	} else {
		if o.ladder == "list" {
			return cfg, errors.New("-ladder list needs -temps, e.g. -temps 0.3,0.5,0.9")
		}
		if o.ladder != "geometric" && o.ladder != "linear" {
			return cfg, fmt.Errorf("-ladder %q: want geometric, linear or list", o.ladder)
		}
		key := kind
		if key == "" {
			key = o.system
		}
		d, ok := systemDefaults[key]
		if !ok && (!set["tmin"] || !set["tmax"]) {
			return cfg, fmt.Errorf("-system %s has no default temperatures: give -tmin and -tmax (in its units), or -temps", o.system)
		}
		if !set["tmin"] {
			o.tmin = d[0]
		}
		if !set["tmax"] {
			o.tmax = d[1]
		}
		// Before the ladder is built: -replicas 100000000 is 800 MB of it.
		if err := remd.CheckMemory(o.system, o.replicas, 0, 0); err != nil {
			return cfg, err
		}
		ts, err := remd.Temperatures(remd.Ladder(o.ladder), o.tmin, o.tmax, o.replicas)
		if err != nil {
			return cfg, fmt.Errorf("-tmin/-tmax/-replicas: %w", err)
		}
		cfg.Temperatures = ts
	}
	return cfg, nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, set, err := parse(args, stderr)
	if err != nil {
		return err
	}
	var pcfg *providers.Config
	if o.config != "" {
		if pcfg, err = o.fromConfig(set); err != nil {
			return err
		}
	}
	cfg, err := o.remdConfig(set)
	if err != nil {
		return err
	}
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	p, closePool, err := openPool(ctx, pcfg, o.backend)
	if err != nil {
		return err
	}
	defer closePool()

	tty := !o.quiet && isTerminal(stdout)
	if tty {
		var bar *progressbar.ProgressBar
		cfg.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total,
					progressbar.OptionSetWriter(stdout),
					progressbar.OptionSetDescription(cfg.System),
					progressbar.OptionShowCount(),
					progressbar.OptionShowIts(),
					progressbar.OptionSetItsString("rounds"),
					progressbar.OptionSetPredictTime(true),
					progressbar.OptionFullWidth(),
					progressbar.OptionClearOnFinish(),
				)
			}
			bar.Set(done)
		}
	}
	res, err := remd.Run(ctx, p, cfg)
	if err != nil {
		return err
	}
	if err := report.Write(cfg.Out); err != nil {
		// The run itself is complete and checkpointed: say so, or a user
		// with a full disk would start it again from round 0.
		return fmt.Errorf("%w (the run's results and summary.json in %s are complete; make room and run again with -resume to write the report)", err, cfg.Out)
	}
	if !o.quiet {
		printSummary(stdout, cfg.Out, res.Summary)
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func printSummary(w io.Writer, dir string, s remd.Summary) {
	fmt.Fprintf(w, "%s: %d replicas, %d rounds of %d steps, exchange %s, seed %d, on %s with %s storage\n",
		s.System, s.Replicas, s.Rounds, s.Steps, s.Exchange, s.Seed, s.Backend, s.Storage)
	fmt.Fprintf(w, "temperatures:")
	for _, t := range s.Temperatures {
		fmt.Fprintf(w, " %.4g", t)
	}
	fmt.Fprintf(w, "\nacceptance:  ")
	for _, a := range s.Acceptance {
		fmt.Fprintf(w, " %.2f", a)
	}
	fmt.Fprintf(w, "\nround trips: %d (mean %.1f rounds)\n", s.RoundTrips, s.MeanRoundTripRounds)
	fmt.Fprintf(w, "wall %.2f s, engine %.2f s on %d cores: parallel efficiency %.3f, occupancy %.3f; driver overhead %.0f µs per round; %d calls, %d retries, %d backups\n",
		s.WallSeconds, s.EngineSeconds, s.Cores, s.ParallelEfficiency, s.Occupancy, s.DriverOverheadUS, s.Calls, s.Retries, s.Backups)
	fmt.Fprintf(w, "wrote %s/{summary.json,energies.csv,exchanges.csv,walks.csv,timing.csv,report.svg,report.png}\n", dir)
}

// quote is s as a JSON string.
func quote(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}
