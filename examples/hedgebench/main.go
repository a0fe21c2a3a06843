// Command hedgebench measures the pool under slow and misbehaving calls, and
// with its default settings, and prints a table of ratios, each against a
// baseline measured in the same run (the machine is shared and noisy):
//
//		go run ./examples/hedgebench            # all figures
//		go run ./examples/hedgebench -only 1    # one figure
//
//	 1. Stragglers: 64 calls of 50 ms, each with probability 0.05 taking 20×
//	    as long (seeded), through 8 slots: Map's wall time with backups
//	    (pool.WithBackups defaults) and without, against the same Map with no
//	    stragglers; on process:// and on an HTTP function (knative:// to a
//	    server on loopback).
//	 2. remd (lj38, 64 replicas, 30 rounds × 1000 steps) on process://?workers=2
//	    with the same injection on worker 1 of 2: p99 round time with remd's
//	    default backups, and without, against the p99 with no injection; each
//	    configuration runs -reps times, interleaved, and the p99 is over all
//	    their rounds (one run's p99 of 30 rounds is its slowest round, and
//	    of 90 rounds too). A round's time is the time between its completion
//	    and the one before (remd.Config.OnRound), as a user watching the run
//	    sees it: remd starts a pair's next segments as soon as both partners
//	    are done, so rounds overlap and no round has a start of its own.
//	 3. Stuck calls: after 100 calls that ignore their context, each with a
//	    100 ms deadline, the throughput of 1000 trivial calls against a fresh
//	    pool's, both pools on the same backend, measured by turns; on the
//	    same two backends as figure 1.
//	 4. The default: trivial calls per second on process://?workers=2 as
//	    opened plainly, beside &limit=512.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/knative"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

var (
	trivial  = pool.Register("hedgebench.trivial", func(ctx context.Context, x int) (int, error) { return x + 1, nil })
	flaky    = pool.Register("hedgebench.flaky", runFlaky, pool.Idempotent())
	stubborn = pool.Register("hedgebench.stubborn", func(ctx context.Context, d time.Duration) (int, error) {
		time.Sleep(d) // ignores its context
		return 0, nil
	})
)

// flakyIn is one call of figure 1: it sleeps D, or Factor × D when its
// first attempt is Slow (or a later one SlowAgain). The driver draws both
// from a seeded generator, so every run of a seed has the same stragglers.
type flakyIn struct {
	Dir             string
	I               int
	D               time.Duration
	Factor          int
	Slow, SlowAgain bool
}

func runFlaky(ctx context.Context, in flakyIn) (int, error) {
	slow := in.SlowAgain
	// The first attempt of a call is the one that creates its file; the
	// directory is shared by every worker on this machine.
	if f, err := os.OpenFile(filepath.Join(in.Dir, strconv.Itoa(in.I)), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
		f.Close()
		slow = in.Slow
	}
	d := in.D
	if slow {
		d *= time.Duration(in.Factor)
	}
	select {
	case <-time.After(d):
		return in.I, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

const secret = "hedgebench-secret-0123456789"

// The workers, which never get past pool.Main, need the engine too.
func init() { engine.Register("hedgebench.straggly", newStraggly) }

// processWorker is the index of this process:// worker ("" elsewhere),
// read before pool.Main, whose worker drops its marker so that the
// programs a function runs are not workers: read from the environment
// later, it was always "", and figure 2 injected no straggler on
// process:// at all (its ratio was load noise).
var processWorker = os.Getenv("BURST_PROCESS_WORKER")

func main() {
	pool.Main()
	if os.Getenv(envHTTPWorker) != "" {
		serveHTTPWorker()
		return
	}
	only := flag.Int("only", 0, "run only this figure (1-4)")
	seeds := flag.Int("seeds", 7, "figure 1: seeds (Maps) per configuration")
	rounds := flag.Int("rounds", 30, "figure 2: rounds")
	backend := flag.String("backend", "", "run only on the backend whose URL starts with this (process, knative)")
	k := flag.Float64("k", 0, "figure 1: also measure pool.WithBackups(k, floor), beside the defaults")
	floor := flag.Duration("floor", 0, "figure 1: the floor with -k")
	reps := flag.Int("reps", 3, "figure 2: remd runs per configuration, interleaved; the p99 is over all their rounds")
	route := flag.String("route", "free", "figure 2 on knative://: how the proxy before the 2 function processes routes a call: free (to a process with no call open, held until there is one, as Knative's activator does with one call per instance) or least (at once to the process with the fewest open, ties going round)")
	flag.Parse()
	if *route != "free" && *route != "least" {
		log.Fatalf("hedgebench: -route %q: want free or least", *route)
	}
	ctx := context.Background()
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "figure\tmeasured\tbaseline\tratio / value\tgoal\tmet")
	row := func(fig, measured, baseline, value, goal string, ok bool) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\n", fig, measured, baseline, value, goal, ok)
		tw.Flush()
	}
	run := func(n int) bool { return *only == 0 || *only == n }
	httpURL := serveHTTP()
	backends := []struct{ name, url string }{{"process://?workers=2", "process://?workers=2"}, {"knative:// (loopback)", httpURL}}

	if *backend != "" {
		backends = slices.DeleteFunc(backends, func(b struct{ name, url string }) bool { return !strings.HasPrefix(b.url, *backend) })
	}
	if run(1) {
		for _, b := range backends {
			f := figure1(ctx, b.url, *seeds, *k, *floor)
			r := f.with.Seconds() / f.base.Seconds()
			row("1 "+b.name+" 64×50ms, p=.05 ×20, limit 8", "backups "+ms(f.with), "no stragglers "+ms(f.base),
				fmt.Sprintf("%.2fx (without backups %s = %.2fx; %d backups, %d won)", r, ms(f.without), f.without.Seconds()/f.base.Seconds(), f.backups, f.wins),
				"≤ 1.3x", r <= 1.3)
			if f.tuned > 0 {
				r := f.tuned.Seconds() / f.base.Seconds()
				row(fmt.Sprintf("1 %s tuned: WithBackups(%g, %v)", b.name, *k, *floor), "backups "+ms(f.tuned), "no stragglers "+ms(f.base),
					fmt.Sprintf("%.2fx", r), "≤ 1.3x", r <= 1.3)
			}
		}
	}
	if run(2) {
		// Two workers on each backend, one call at a time each: two
		// process workers, or two HTTP function processes behind a proxy.
		remdBackends := []struct{ name, url string }{{"process://?workers=2", "process://?workers=2"},
			{"knative:// (2 processes, loopback)", serveHTTPWorkers(2, *route) + "&concurrency=2"}}
		for _, b := range remdBackends {
			if *backend != "" && !strings.HasPrefix(b.url, *backend) {
				continue
			}
			base, with, without := figure2(ctx, b.url, *rounds, *reps)
			r := with.Seconds() / base.Seconds()
			row(fmt.Sprintf("2 %s remd lj38 64 rep, injection on worker 1 of 2, %d×%d rounds", b.name, *reps, *rounds), "p99 round, backups "+ms(with), "p99 no injection "+ms(base),
				fmt.Sprintf("%.2fx (without backups %s = %.2fx)", r, ms(without), without.Seconds()/base.Seconds()), "≤ 1.5x", r <= 1.5)
		}
	}
	if run(3) {
		for _, b := range backends {
			fresh, after, stuck := figure3(ctx, b.url)
			r := after / fresh
			row("3 "+b.name+" after 100 stuck calls", fmt.Sprintf("%.0f calls/s", after), fmt.Sprintf("fresh %.0f/s", fresh),
				fmt.Sprintf("%.2fx (stuck calls took %s)", r, stuck.Round(time.Millisecond)), "≥ 0.8x", r >= 0.8)
		}
	}
	if run(4) {
		def := throughput(ctx, "process://?workers=2", 100_000)
		tuned := throughput(ctx, "process://?workers=2&limit=512", 100_000)
		row("4 process://?workers=2 trivial calls", fmt.Sprintf("%.0f calls/s", def), fmt.Sprintf("&limit=512: %.0f/s", tuned),
			fmt.Sprintf("%.0f/s (%.2fx tuned)", def, def/tuned), "≥ 30000/s", def >= 30000)
	}
}

// serveHTTP runs an HTTP function server for this binary's registered
// functions on loopback and returns a knative:// URL for it.
func serveHTTP() string {
	os.Setenv(httpfn.EnvSecret, secret)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go http.Serve(l, httpfn.NewHandler([]byte(secret)))
	return "knative://" + l.Addr().String() + "?tls=false"
}

// envHTTPWorker, set to a worker's number, makes this binary an HTTP
// function server for figure 2 (see serveHTTPWorkers).
const envHTTPWorker = "HEDGEBENCH_HTTP_WORKER"

// serveHTTPWorkers starts n copies of this binary, each an HTTP function
// server on loopback numbered 0 to n-1, behind a proxy that stands in for a
// platform's router with one call per instance, and returns a knative://
// URL for the proxy. By default (route "free") the proxy sends each call to
// a copy with no call open and holds it until one has none, as Knative's
// activator does with a container concurrency of 3 or less ("the first pod
// that has capacity", knative.dev/docs/serving/load-balancing); route
// "least" sends it at once to the copy with the fewest calls open, ties
// going round, which put a backup beside the straggler it backs up (on the
// straggler's own, injected, copy) in 45 of 50 cases, as no platform that
// runs one call per instance would. The copies exit when this process does
// (their stdin ends).
func serveHTTPWorkers(n int, route string) string {
	os.Setenv(httpfn.EnvSecret, secret)
	r := &router{open: make([]int, n), free: make(chan int, n), least: route == "least"}
	for i := range n {
		r.free <- i
	}
	for i := range n {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), envHTTPWorker+"="+strconv.Itoa(i))
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		must(err)
		workerStdins = append(workerStdins, stdin) // open until this process exits
		out, err := cmd.StdoutPipe()
		must(err)
		must(cmd.Start())
		var addr string
		_, err = fmt.Fscanln(out, &addr)
		must(err)
		u, err := url.Parse("http://" + addr)
		must(err)
		rp := httputil.NewSingleHostReverseProxy(u)
		// A cancelled call (a backup's loser) is no error worth a log line.
		rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
		r.to = append(r.to, rp)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	go http.Serve(l, r)
	return "knative://" + l.Addr().String() + "?tls=false"
}

// workerStdins keeps the write ends of the HTTP workers' stdin pipes
// reachable: a collected one would be closed, and its worker would exit.
var workerStdins []io.WriteCloser

// serveHTTPWorker is the body of a copy started by serveHTTPWorkers: it
// prints its address and serves until its stdin ends.
func serveHTTPWorker() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	fmt.Println(l.Addr())
	go http.Serve(l, httpfn.NewHandler([]byte(secret)))
	io.Copy(io.Discard, os.Stdin)
}

// router sends each request to a server with none open, holding it until
// there is one (or, with least, at once to the one with the fewest open);
// a cancelled request is cancelled upstream too.
type router struct {
	to    []*httputil.ReverseProxy
	free  chan int // servers with no request open, first come first served
	least bool
	mu    sync.Mutex
	open  []int
	next  int // where the search for the least busy starts: ties go round
}

func (r *router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if !r.least {
		var i int
		select {
		case i = <-r.free:
		case <-req.Context().Done():
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		defer func() { r.free <- i }()
		r.to[i].ServeHTTP(w, req)
		return
	}
	r.mu.Lock()
	best := r.next % len(r.open)
	for j := range r.open {
		if i := (r.next + j) % len(r.open); r.open[i] < r.open[best] {
			best = i
		}
	}
	r.next = best + 1
	r.open[best]++
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.open[best]--
		r.mu.Unlock()
	}()
	r.to[best].ServeHTTP(w, req)
}

// fig1 is what figure1 measured: median wall times of the Maps, and how
// many backups the default ones started and how many won.
type fig1 struct {
	base, with, without, tuned time.Duration
	backups, wins              int64
}

// figure1 maps 64 flaky calls through 8 slots for several seeds: without
// stragglers, with stragglers and backups, and with stragglers alone
// (and with k > 0, with stragglers and WithBackups(k, floor)), interleaved
// seed by seed. It returns the median wall time of each.
func figure1(ctx context.Context, url string, seeds int, k float64, floor time.Duration) (f fig1) {
	p, err := pool.Open(ctx, url, pool.WithLimit(8))
	must(err)
	defer p.Close()
	hedged := p.With(pool.WithBackups(0, 0))
	var bs, ws, wos, ts []time.Duration
	for seed := range seeds {
		rng := rand.New(rand.NewPCG(uint64(seed), 17))
		ins := make([]flakyIn, 64)
		for i := range ins {
			ins[i] = flakyIn{I: i, D: 50 * time.Millisecond, Factor: 20, Slow: rng.Float64() < 0.05, SlowAgain: rng.Float64() < 0.05}
		}
		timeMap := func(p *pool.Pool, straggle bool) time.Duration {
			dir, err := os.MkdirTemp("", "hedgebench-")
			must(err)
			defer os.RemoveAll(dir)
			in := slices.Clone(ins)
			for i := range in {
				in[i].Dir = dir
				if !straggle {
					in[i].Slow, in[i].SlowAgain = false, false
				}
			}
			start := time.Now()
			_, err = flaky.Map(ctx, p, in)
			must(err)
			return time.Since(start)
		}
		before := p.Stats()
		bs = append(bs, timeMap(p, false))
		ws = append(ws, timeMap(hedged, true))
		after := p.Stats()
		f.backups += after.Backups - before.Backups
		f.wins += after.BackupWins - before.BackupWins
		wos = append(wos, timeMap(p, true))
		if k > 0 {
			ts = append(ts, timeMap(p.With(pool.WithBackups(k, floor)), true))
		}
		if os.Getenv("HEDGEBENCH_DEBUG") != "" {
			fmt.Fprintln(os.Stderr, "seed", seed, bs[len(bs)-1], ws[len(ws)-1], wos[len(wos)-1], ts, after.Backups-before.Backups, after.BackupWins-before.BackupWins)
		}
	}
	f.base, f.with, f.without = median(bs), median(ws), median(wos)
	if k > 0 {
		f.tuned = median(ts)
	}
	return f
}

// figure3 opens two pools on url: on one it runs 100 calls, one after the
// other, that ignore their context with a 100 ms deadline, then measures the
// throughput of trivial calls on each, taking turns (the best of 5 Maps of
// 1000 calls each), so that a swing of the machine's load reaches both.
func figure3(ctx context.Context, url string) (fresh, after float64, stuck time.Duration) {
	p, err := pool.Open(ctx, url)
	must(err)
	defer p.Close()
	fp, err := pool.Open(ctx, url)
	must(err)
	defer fp.Close()
	for _, p := range []*pool.Pool{p, fp} { // the same warm-up for both
		_, err = trivial.Map(ctx, p, make([]int, 1000))
		must(err)
	}
	start := time.Now()
	for range 100 {
		cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		_, err := stubborn.Call(cctx, p, time.Minute)
		cancel()
		// A call may also meet the end of a worker killed for an
		// earlier stuck call just as its own deadline passes.
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, pool.ErrWorkerLost) {
			log.Fatalf("stuck call: %v, want DeadlineExceeded", err)
		}
	}
	stuck = time.Since(start)
	for range 5 {
		fresh = max(fresh, rate(ctx, fp, 1000, 1))
		after = max(after, rate(ctx, p, 1000, 1))
	}
	return fresh, after, stuck
}

// throughput is the trivial-call rate of a fresh pool on url.
func throughput(ctx context.Context, url string, n int) float64 {
	p, err := pool.Open(ctx, url)
	must(err)
	defer p.Close()
	_, err = trivial.Map(ctx, p, make([]int, 1000)) // warm up
	must(err)
	return rate(ctx, p, n, 5)
}

// rate maps n trivial calls, best of tries.
func rate(ctx context.Context, p *pool.Pool, n, tries int) float64 {
	ins := make([]int, n)
	best := 0.0
	for range tries {
		start := time.Now()
		_, err := trivial.Map(ctx, p, ins)
		must(err)
		best = max(best, float64(n)/time.Since(start).Seconds())
	}
	return best
}

// figure2 runs remd in three configurations: no injection (backups on, as
// remd runs by default), injection with backups, injection without; reps
// times each, interleaved so that the machine's load swings reach all three
// alike. It returns the p99 round time of each over all its runs' rounds.
func figure2(ctx context.Context, url string, rounds, reps int) (base, with, without time.Duration) {
	lj := engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":38}`)}
	straggly := func(p float64) engine.Spec {
		o, _ := json.Marshal(stragglyOptions{Inner: lj, P: p, Factor: 20, Worker: "1", Seed: 7})
		return engine.Spec{Name: "hedgebench.straggly", Options: o}
	}
	var bs, ws, wos []time.Duration
	for range reps {
		bs = append(bs, runRemd(ctx, url, straggly(0), rounds, false)...)
		ws = append(ws, runRemd(ctx, url, straggly(0.05), rounds, false)...)
		wos = append(wos, runRemd(ctx, url, straggly(0.05), rounds, true)...)
	}
	return p99(bs), p99(ws), p99(wos)
}

func runRemd(ctx context.Context, url string, spec engine.Spec, rounds int, noBackups bool) []time.Duration {
	var opts []pool.Option
	var tr *callTrace
	if dir := os.Getenv(envTrace); dir != "" {
		tr = &callTrace{}
		opts = append(opts, pool.WithCallHook(tr.add))
	}
	p, err := pool.Open(ctx, url, opts...)
	must(err)
	defer p.Close()
	// Start the workers first: their start-up is the same in every
	// configuration and is not a round's.
	_, err = trivial.Map(ctx, p, make([]int, 64))
	must(err)
	ts, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, 64)
	must(err)
	var times []time.Duration
	var ends []time.Time
	last := time.Now()
	first := last
	_, err = remd.Run(ctx, p, remd.Config{System: "lj38", Engine: spec, Temperatures: ts, Rounds: rounds, Steps: 1000, Seed: 1,
		NoBackups: noBackups, OnRound: func(remd.RoundResult) {
			now := time.Now()
			times = append(times, now.Sub(last))
			ends = append(ends, now)
			last = now
		}})
	must(err)
	if os.Getenv("HEDGEBENCH_DEBUG") != "" {
		st := p.Stats()
		fmt.Fprintln(os.Stderr, spec.Name, noBackups, "backups", st.Backups, "wins", st.BackupWins, "rounds", times)
	}
	if tr != nil {
		tr.write(first, ends, string(spec.Options), noBackups)
	}
	return times
}

// envTrace names a directory where figure 2 writes a trace of every run:
// the driver's calls (runs.txt) and each worker's segments (seg-*.txt).
const envTrace = "HEDGEBENCH_TRACE"

// callTrace records the calls of one remd run.
type callTrace struct {
	mu    sync.Mutex
	calls []pool.CallStats
}

func (t *callTrace) add(s pool.CallStats) {
	t.mu.Lock()
	t.calls = append(t.calls, s)
	t.mu.Unlock()
}

var traceRun int

// write appends the run's rounds and calls to runs.txt, in ms since the
// run's start: "round i end", "call id submitted started ended returned
// worker backup attempts".
func (t *callTrace) write(start time.Time, ends []time.Time, what string, noBackups bool) {
	f, err := os.OpenFile(filepath.Join(os.Getenv(envTrace), "runs.txt"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	must(err)
	defer f.Close()
	traceRun++
	rel := func(x time.Time) float64 { return float64(x.Sub(start)) / 1e6 }
	fmt.Fprintf(f, "run %d %d %s nobackups=%v\n", traceRun, start.UnixNano(), what, noBackups)
	for i, e := range ends {
		fmt.Fprintf(f, "round %d %.2f\n", i, rel(e))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, c := range t.calls {
		fmt.Fprintf(f, "call %d %.2f %.2f %.2f %.2f %s %v %d\n", c.ID, rel(c.Submitted), rel(c.Started), rel(c.Ended), rel(c.Returned), c.Worker, c.Backup, c.Attempts)
	}
}

// stragglyOptions configure an engine that runs Inner, and on the worker
// process numbered Worker makes a segment take Factor times as long with
// probability P (drawn from a generator seeded with Seed, so the injection
// does not touch the replicas' own random streams).
type stragglyOptions struct {
	Inner  engine.Spec `json:"inner"`
	P      float64     `json:"p"`
	Factor float64     `json:"factor"`
	Worker string      `json:"worker"`
	Seed   uint64      `json:"seed"`
}

type straggly struct {
	engine.Engine
	o   stragglyOptions
	mu  sync.Mutex
	rng *rand.Rand
}

func newStraggly(options json.RawMessage) (engine.Engine, error) {
	var o stragglyOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return nil, err
	}
	inner, err := engine.New(o.Inner)
	if err != nil {
		return nil, err
	}
	return &straggly{Engine: inner, o: o, rng: rand.New(rand.NewPCG(o.Seed, uint64(os.Getpid())))}, nil
}

func (s *straggly) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	start := time.Now()
	u, err := s.Engine.Segment(ctx, st, t, steps, rng)
	slow, cancelled := false, false
	if err == nil && (processWorker == s.o.Worker || os.Getenv(envHTTPWorker) == s.o.Worker) {
		s.mu.Lock()
		slow = s.rng.Float64() < s.o.P
		s.mu.Unlock()
	}
	if slow {
		select {
		case <-time.After(time.Duration((s.o.Factor - 1) * float64(time.Since(start)))):
		case <-ctx.Done():
			cancelled, err = true, ctx.Err()
		}
	}
	if dir := os.Getenv(envTrace); dir != "" {
		s.mu.Lock()
		if f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("seg-%d.txt", os.Getpid())), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintf(f, "seg %s%s %d %d %g %v %v\n", processWorker, os.Getenv(envHTTPWorker), start.UnixNano(), time.Now().UnixNano(), t, slow, cancelled)
			f.Close()
		}
		s.mu.Unlock()
	}
	return u, err
}

func p99(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[min(len(s)-1, int(0.99*float64(len(s))))]
}

func median(ts []time.Duration) time.Duration {
	s := slices.Clone(ts)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/1e6) }

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

var _ = knative.Scheme // knative:// is registered by importing the package
