// Package slurm is the pool backend for HPC clusters scheduled by Slurm: Open
// starts the workers as a Slurm job, one srun step per worker, and each
// worker — the same binary — dials back to the driver over TLS with the
// protocol of pool/tcp. Importing it registers the "slurm" scheme:
//
//	p, err := pool.Open(ctx, "slurm://?workers=64&cpus_per_task=1&time=02:00:00&partition=compute")
//
// The driver runs where Slurm's client commands work (a login node, or
// inside a job itself) and listens on an address the compute nodes can
// reach (listen=; by default all interfaces, advertised by this host's
// name). The pool's secret reaches the job only in its environment (sbatch
// passes the submitting environment on), never on a command line or in the
// job script.
//
// Workers that die — scancel, time limit, node failure — are noticed by
// their connection and by squeue; their calls fail with driver.ErrWorkerLost
// and the pool retries them on other workers, and the backend submits
// replacements while the pool is open: keep workers= running (policy=keep,
// the default), or, with policy=adaptive, scale with the calls waiting up to
// max= workers and cancel jobs whose workers have been idle for idle=, as
// dask-jobqueue's adaptive mode does. Close cancels every job it submitted;
// a driver that is killed leaves no job behind either, since each worker
// exits when its connection to the driver ends, and a driver whose host
// vanishes (no connection ever ends) neither, since each worker exits when
// it has heard none of the driver's pings for a few liveness intervals.
//
// A job is first asked for as an allocation that must start now (salloc
// --immediate, which the controller schedules as it arrives), and only if
// the resources are not free right now is it queued as a batch job
// (sbatch), which Slurm schedules no sooner than batch_sched_delay (3 s by
// default) after its submission. The allocation's srun steps then run from
// a salloc process on the driver's host, in a process group of its own so
// that it outlives a killed driver: its workers still exit when their
// connections end, the steps end, and salloc gives the allocation back.
// submit=sbatch always queues a batch job.
//
// Each worker's output goes to log_dir/burst-JOBID.STEP.out, and the
// batch script's (or salloc's) to log_dir/burst-JOBID.out.
package slurm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/pool/tcp"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "slurm"

// How jobs are submitted (Options.Submit, submit=).
const (
	SubmitAuto   = "auto"   // salloc --immediate, else sbatch
	SubmitSbatch = "sbatch" // always sbatch
)

// Policies for keeping workers.
const (
	Keep     = "keep"     // keep Workers running, replacing the lost
	Adaptive = "adaptive" // scale with waiting calls between Min and Max
)

// Options configure a Backend. Resource fields map to sbatch options of the
// same meaning; empty ones are left to the cluster's defaults.
type Options struct {
	// Workers is how many workers to run (default 1); each is one task.
	Workers int
	// Nodes spreads the first job over this many nodes (sbatch --nodes).
	Nodes int
	// CPUsPerTask, Mem (per node, e.g. "4G"), MemPerCPU, Partition,
	// Account, QOS and Time (e.g. "02:00:00") are sbatch's --cpus-per-task,
	// --mem, --mem-per-cpu, --partition, --account, --qos and --time.
	// Workers run with GOMAXPROCS = CPUsPerTask (1 when unset, Slurm's
	// default) unless Env or the driver's environment sets it.
	CPUsPerTask int
	Mem         string
	MemPerCPU   string
	Partition   string
	Account     string
	QOS         string
	Time        string
	// SbatchArgs are more sbatch options, e.g. "--constraint=skylake".
	// They are given to salloc too; one salloc does not take makes the
	// pool queue batch jobs.
	SbatchArgs []string
	// Submit is how jobs are started: SubmitAuto (default) asks for an
	// allocation that starts now and queues a batch job if there is none;
	// SubmitSbatch always queues a batch job.
	Submit string
	// PerWorker is how many calls a worker runs at once (default 1).
	PerWorker int
	// Listen is the address the driver listens on (default ":0": every
	// interface, a free port); Advertise is the host:port workers dial
	// (default this host's name and the listening port, or the listening
	// address itself when it names a host).
	Listen    string
	Advertise string
	// Policy is Keep (default) or Adaptive; Min and Max bound an adaptive
	// pool (default 0 and Workers), Idle is how long its workers may idle
	// before their jobs are cancelled (default 60s).
	Policy string
	Min    int
	Max    int
	Idle   time.Duration
	// Poll is how often squeue is asked about the jobs (default 5s).
	Poll time.Duration
	// LogDir receives the jobs' output (default ./burst-slurm); it must be
	// on a file system the compute nodes share.
	LogDir string
	// Command is the worker command line (default: this executable, which
	// compute nodes must see at the same path).
	Command []string
	// Env is added to the environment of the Slurm commands and so of the
	// workers.
	Env []string
	// MaxMessage bounds an encoded call or result (default 64 MiB).
	MaxMessage int
	// Liveness is tcp.Options.Liveness: the interval at which the driver
	// pings each worker. After process.LivenessMisses silent intervals (a
	// node gone without a reset, a stopped step) a worker's connection is
	// closed and its calls retried elsewhere; and a worker that hears
	// nothing from the driver for as many (its host vanished) exits, so
	// its job ends (default 5 s; negative: never). URL: liveness=5s or off.
	Liveness time.Duration
}

func init() {
	driver.RegisterCapabilities(Scheme, driver.Capabilities{Remote: true, Retries: 8})
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		o, err := ParseURL(u)
		if err != nil {
			return nil, err
		}
		return New(ctx, o)
	})
}

// ParseURL reads Options from a slurm:// URL's query parameters.
func ParseURL(u *url.URL) (Options, error) {
	var o Options
	ints := map[string]*int{"workers": &o.Workers, "nodes": &o.Nodes, "cpus_per_task": &o.CPUsPerTask,
		"per_worker": &o.PerWorker, "min": &o.Min, "max": &o.Max, "max_message": &o.MaxMessage}
	strs := map[string]*string{"mem": &o.Mem, "mem_per_cpu": &o.MemPerCPU, "partition": &o.Partition,
		"account": &o.Account, "qos": &o.QOS, "time": &o.Time, "listen": &o.Listen, "advertise": &o.Advertise,
		"policy": &o.Policy, "log_dir": &o.LogDir, "submit": &o.Submit}
	durs := map[string]*time.Duration{"idle": &o.Idle, "poll": &o.Poll}
	accepted := []string{"sbatch", "liveness"}
	for k := range ints {
		accepted = append(accepted, k)
	}
	for k := range strs {
		accepted = append(accepted, k)
	}
	for k := range durs {
		accepted = append(accepted, k)
	}
	slices.Sort(accepted)
	if err := driver.UnknownParams(u, accepted...); err != nil {
		return o, err
	}
	q := u.Query()
	if err := driver.IntParamsFrom("slurm", q, 0, ints); err != nil {
		return o, err
	}
	for k, dst := range strs {
		*dst = q.Get(k)
	}
	if err := driver.DurationParams("slurm", q, durs); err != nil {
		return o, err
	}
	if err := process.LivenessParam("slurm", q, &o.Liveness); err != nil {
		return o, err
	}
	for _, v := range q["sbatch"] {
		for _, a := range strings.Fields(v) {
			o.SbatchArgs = append(o.SbatchArgs, a)
		}
	}
	if u.Host != "" || (u.Path != "" && u.Path != "/") {
		return o, fmt.Errorf("slurm: %s: the URL takes only parameters (slurm://?workers=4&partition=…)", u.Redacted())
	}
	return o, nil
}

// Backend is a pool of workers running as Slurm job steps.
type Backend struct {
	*tcp.Backend
	opts   Options
	id     string // this pool's name in job names and worker environments
	env    []string
	target atomic.Int64 // workers wanted now (adaptive: moves)

	mu       sync.Mutex
	jobs     map[string]*job
	order    []string // job ids, oldest first
	failures int      // jobs in a row that ended with no worker ever connected
	closed   bool
	inflight atomic.Int64
	idleFrom time.Time
	// After a failed sbatch, no other before retryAt; the wait doubles.
	retryAt   time.Time
	retryWait time.Duration
	// noAlloc is set once salloc failed for another reason than busy
	// resources (an option it does not take, say): later jobs go straight
	// to sbatch.
	noAlloc atomic.Bool
	allocs  sync.WaitGroup // salloc processes not yet reaped
	kick    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
}

// job is one job the pool started (allocation or batch) and what became of
// its workers.
type job struct {
	id    string
	want  int // tasks it was submitted with
	lost  int
	ever  int // workers that ever connected
	ended bool
	state string
}

// maxFailedJobs stops replacement when this many jobs in a row ended before
// any of their workers connected: something is wrong that more jobs will
// not fix (a binary the nodes cannot see, a driver they cannot reach).
const maxFailedJobs = 3

// New listens, submits the first job and returns; calls wait until workers
// connect. Use WaitWorkers to wait for them.
func New(ctx context.Context, o Options) (*Backend, error) {
	if o.Workers < 1 {
		o.Workers = 1
	}
	switch o.Policy {
	case "":
		o.Policy = Keep
	case Keep, Adaptive:
	default:
		return nil, fmt.Errorf("slurm: policy %q: want %q or %q", o.Policy, Keep, Adaptive)
	}
	switch o.Submit {
	case "":
		o.Submit = SubmitAuto
	case SubmitAuto, SubmitSbatch:
	default:
		return nil, fmt.Errorf("slurm: submit %q: want %q or %q", o.Submit, SubmitAuto, SubmitSbatch)
	}
	if o.Max < 1 {
		o.Max = o.Workers
	}
	if o.Min > o.Max {
		return nil, fmt.Errorf("slurm: min=%d is above max=%d", o.Min, o.Max)
	}
	if o.Idle <= 0 {
		o.Idle = 60 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.PerWorker < 1 {
		o.PerWorker = 1
	}
	if o.LogDir == "" {
		o.LogDir = "burst-slurm"
	}
	logDir, err := filepath.Abs(o.LogDir)
	if err != nil {
		return nil, err
	}
	o.LogDir = logDir
	if err := os.MkdirAll(o.LogDir, 0o755); err != nil {
		return nil, fmt.Errorf("slurm: log_dir: %w", err)
	}
	if len(o.Command) == 0 {
		cmd, err := driver.SelfCommand()
		if err != nil {
			return nil, fmt.Errorf("slurm: %w", err)
		}
		o.Command = cmd
	}

	if _, err := exec.LookPath("sbatch"); err != nil {
		return nil, fmt.Errorf("slurm: sbatch is not on $PATH: run the driver where Slurm's client commands work (a login node): %w", err)
	}
	listen := o.Listen
	if listen == "" {
		listen = ":0"
	}
	b := &Backend{opts: o, jobs: map[string]*job{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	b.id = "burst-" + strconv.FormatInt(time.Now().UnixNano()%1e10, 36) + "-" + strconv.Itoa(os.Getpid())
	limitWorkers := o.Workers
	if o.Policy == Adaptive {
		limitWorkers = o.Max
	}
	tb, err := tcp.New(ctx, tcp.Options{Addr: listen, Workers: limitWorkers, PerWorker: o.PerWorker,
		MaxMessage: o.MaxMessage, Liveness: o.Liveness, OnWorker: b.onWorker})
	if err != nil {
		return nil, fmt.Errorf("slurm: %w", err)
	}
	b.Backend = tb
	advertise, err := advertised(o.Advertise, tb.Addr())
	if err != nil {
		tb.Close()
		return nil, err
	}
	b.env = append(append(append(os.Environ(), o.Env...), tb.WorkerEnv()...),
		tcp.EnvAddr+"="+advertise, "BURST_SLURM_POOL="+b.id)
	// A task runs on the CPUs Slurm gave it (one unless cpus_per_task
	// says more); where the cluster does not bind tasks to them
	// (task/none), a worker would otherwise size its scheduler to the
	// whole node, whose idle Ps' threads wake on every goroutine
	// hand-over and take CPUs from other tasks.
	b.env = driver.WithGOMAXPROCS(b.env, max(1, o.CPUsPerTask))
	first := o.Workers
	if o.Policy == Adaptive {
		first = o.Min
	}
	b.target.Store(int64(first))
	if first > 0 {
		if _, err := b.submit(ctx, first, o.Nodes); err != nil {
			tb.Close()
			return nil, err
		}
	}
	mctx, cancel := context.WithCancel(context.Background())
	b.stop = cancel
	go b.monitor(mctx)
	return b, nil
}

// advertised is the address workers dial: given, or the listening port on
// this host's name when the listener is on every interface.
func advertised(given, listening string) (string, error) {
	if given != "" {
		return given, nil
	}
	host, port, err := net.SplitHostPort(listening)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		name, err := os.Hostname()
		if err != nil {
			return "", fmt.Errorf("slurm: this host's name, for workers to dial: %w (set advertise=)", err)
		}
		host = name
	}
	return net.JoinHostPort(host, port), nil
}

// JobIDs lists the jobs this pool submitted that have not ended.
func (b *Backend) JobIDs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ids []string
	for _, id := range b.order {
		if !b.jobs[id].ended {
			ids = append(ids, id)
		}
	}
	return ids
}

// Invoke runs a call; an adaptive pool counts the calls in flight to size
// itself.
func (b *Backend) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	defer b.count()()
	return b.Backend.Invoke(ctx, req)
}

// Start starts a call (driver.Starter); an adaptive pool counts it as
// Invoke does.
func (b *Backend) Start(ctx context.Context, req *driver.Request, done func(*driver.Response, error)) {
	uncount := b.count()
	b.Backend.Start(ctx, req, func(resp *driver.Response, err error) {
		uncount()
		done(resp, err)
	})
}

// count counts a call in flight for an adaptive pool, which sizes itself
// by them, until the function it returns is called.
func (b *Backend) count() func() {
	if b.opts.Policy != Adaptive {
		return func() {}
	}
	n := b.inflight.Add(1)
	if want := (n + int64(b.opts.PerWorker) - 1) / int64(b.opts.PerWorker); want > b.target.Load() {
		b.poke()
	}
	return func() { b.inflight.Add(-1) }
}

func (b *Backend) poke() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// Close ends the workers' connections and cancels every job the pool
// submitted.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	b.mu.Unlock()
	b.stop()
	<-b.done // no submission after this
	var ids []string
	b.mu.Lock()
	for _, id := range b.order {
		if !b.jobs[id].ended {
			ids = append(ids, id)
		}
	}
	b.mu.Unlock()
	err := b.Backend.Close()
	if len(ids) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, cerr := b.run(ctx, "scancel", ids...); cerr != nil {
			err = errors.Join(err, fmt.Errorf("slurm: cancel jobs %v: %w", ids, cerr))
		}
	}
	// salloc processes end once their allocation is revoked; reap them.
	reaped := make(chan struct{})
	go func() { b.allocs.Wait(); close(reaped) }()
	select {
	case <-reaped:
	case <-time.After(30 * time.Second):
		slog.Warn("burst: slurm: salloc still running 30 s after its job was cancelled", "pool", b.id)
	}
	return err
}

// submit starts one job of n workers and returns its id: an allocation
// that starts now if it can have one, else a queued batch job.
func (b *Backend) submit(ctx context.Context, n, nodes int) (string, error) {
	if b.opts.Submit == SubmitAuto && !b.noAlloc.Load() {
		id, err := b.allocate(ctx, n, nodes)
		if err == nil {
			return id, nil
		}
		slog.Info("burst: slurm: no allocation now; queueing a batch job", "reason", err)
	}
	return b.sbatch(ctx, n, nodes)
}

// resources are the options salloc and sbatch share: the job's name, tasks
// and the resources asked for.
func (b *Backend) resources(n, nodes int) []string {
	o := b.opts
	args := []string{"--job-name=" + b.id, "--ntasks=" + strconv.Itoa(n), "--chdir=" + o.LogDir}
	if nodes > 0 {
		args = append(args, "--nodes="+strconv.Itoa(nodes))
	}
	if o.CPUsPerTask > 0 {
		args = append(args, "--cpus-per-task="+strconv.Itoa(o.CPUsPerTask))
	}
	for _, kv := range [][2]string{{"mem", o.Mem}, {"mem-per-cpu", o.MemPerCPU}, {"partition", o.Partition},
		{"account", o.Account}, {"qos", o.QOS}, {"time", o.Time}} {
		if kv[1] != "" {
			args = append(args, "--"+kv[0]+"="+kv[1])
		}
	}
	return append(args, o.SbatchArgs...)
}

func (b *Backend) added(id string, n int) {
	b.mu.Lock()
	b.jobs[id] = &job{id: id, want: n, state: "PENDING"}
	b.order = append(b.order, id)
	b.mu.Unlock()
}

// sbatch queues one batch job of n workers and returns its id.
func (b *Backend) sbatch(ctx context.Context, n, nodes int) (string, error) {
	// --no-requeue: a job whose node fails ends (NODE_FAIL) and the pool
	// replaces its workers itself; a requeued job would come back later
	// with workers already replaced.
	args := append([]string{"--parsable", "--no-requeue", "--output=" + filepath.Join(b.opts.LogDir, "burst-%j.out")},
		b.resources(n, nodes)...)
	cmd := exec.CommandContext(ctx, "sbatch", args...)
	cmd.Env = b.env
	cmd.Dir = b.opts.LogDir
	// The script goes in on stdin: it names the command, never the secret,
	// which travels in the environment sbatch hands to the job.
	cmd.Stdin = strings.NewReader(b.script(""))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("slurm: sbatch %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	id, _, _ := strings.Cut(strings.TrimSpace(string(out)), ";")
	if id == "" {
		return "", fmt.Errorf("slurm: sbatch printed no job id")
	}
	b.added(id, n)
	slog.Info("burst: slurm job submitted", "job", id, "workers", n, "pool", b.id)
	return id, nil
}

// allocate asks for an allocation of n workers that starts now (salloc
// --immediate: the controller schedules it as it arrives, where a batch
// job waits for batch_sched_delay) and runs the steps from a salloc process
// on this host. It fails if the resources are not free now.
//
// salloc runs in a process group of its own and writes only to a file, so
// it outlives this process: if the driver is killed, the workers' connections
// end, they exit, the script's steps end and salloc gives the allocation
// back, as a batch job ends when its script does.
func (b *Backend) allocate(ctx context.Context, n, nodes int) (string, error) {
	logf, err := os.CreateTemp(b.opts.LogDir, "burst-salloc-*.out")
	if err != nil {
		return "", fmt.Errorf("slurm: salloc's log: %w", err)
	}
	defer logf.Close()
	// The script says its job id on fd 3 and closes it, so nothing of the
	// job writes to a pipe this process may no longer read.
	idr, idw, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer idr.Close()
	args := append([]string{"--immediate"}, b.resources(n, nodes)...)
	args = append(args, "/bin/sh", "-c", b.script(`printf '%s\n' "$SLURM_JOB_ID" >&3; exec 3>&-`))
	cmd := exec.Command("salloc", args...)
	cmd.Env = b.env
	cmd.Dir = b.opts.LogDir
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{idw}
	cmd.SysProcAttr = detached()
	err = cmd.Start()
	idw.Close()
	if err != nil {
		os.Remove(logf.Name())
		return "", fmt.Errorf("slurm: salloc: %w", err)
	}
	exited := make(chan error, 1)
	b.allocs.Add(1)
	go func() {
		defer b.allocs.Done()
		exited <- cmd.Wait()
	}()
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(idr).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	var id string
	select {
	case id = <-line:
	case <-ctx.Done():
		// Granted or not, the allocation must not stay: end salloc and
		// cancel whatever job of this pool's name it may have made.
		killGroup(cmd.Process.Pid)
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		b.run(cctx, "scancel", "--name="+b.id)
		return "", context.Cause(ctx)
	}
	if id == "" {
		// fd 3 closed without an id: salloc gave up.
		err := <-exited
		msg, _ := os.ReadFile(logf.Name())
		os.Remove(logf.Name())
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() != 1 {
			// Not busy resources but salloc refusing the options
			// (exit 255): later jobs go straight to sbatch.
			b.noAlloc.Store(true)
		}
		return "", fmt.Errorf("salloc --immediate: %v: %s", err, strings.TrimSpace(string(msg)))
	}
	if err := os.Rename(logf.Name(), filepath.Join(b.opts.LogDir, "burst-"+id+".out")); err != nil {
		slog.Debug("burst: slurm: salloc's log keeps its name", "file", logf.Name(), "err", err)
	}
	b.added(id, n)
	slog.Info("burst: slurm job allocated", "job", id, "workers", n, "pool", b.id)
	return id, nil
}

// script starts one srun step per task, so that one worker can end
// (scancel JOB.STEP, a crash) while the others go on. prelude runs first.
func (b *Backend) script(prelude string) string {
	quoted := make([]string, len(b.opts.Command))
	for i, a := range b.opts.Command {
		quoted[i] = shellQuote(a)
	}
	step := "srun --ntasks=1 --nodes=1 --exact --kill-on-bad-exit=0 --job-name=burst-worker" +
		" --output=" + shellQuote(filepath.Join(b.opts.LogDir, "burst-%j.%s.out")) + " " + strings.Join(quoted, " ")
	return `#!/bin/sh
# burst pool workers: one srun step per task; each dials back to the driver.
` + prelude + `
i=0
while [ "$i" -lt "$SLURM_NTASKS" ]; do
  ` + step + ` &
  i=$((i + 1))
done
wait
`
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// run runs a Slurm client command with the pool's environment.
func (b *Backend) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = b.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func (b *Backend) onWorker(w tcp.WorkerInfo, gone <-chan struct{}) {
	id := w.Env["SLURM_JOB_ID"]
	b.mu.Lock()
	j := b.jobs[id]
	if j == nil || w.Env["BURST_SLURM_POOL"] != b.id {
		// Started by hand with the pool's secret: serve it, but it is no
		// job of ours to count or cancel.
		b.mu.Unlock()
		return
	}
	j.ever++
	b.failures = 0
	b.mu.Unlock()
	go func() {
		<-gone
		b.mu.Lock()
		j.lost++
		b.mu.Unlock()
		b.poke()
	}()
}

// monitor asks squeue about the jobs every Poll, or sooner when a worker is
// lost or calls pile up, and submits or cancels jobs to meet the policy.
func (b *Backend) monitor(ctx context.Context) {
	defer close(b.done)
	t := time.NewTicker(b.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			b.poll(ctx)
		case <-b.kick:
		}
		b.reconcile(ctx)
	}
}

// alive are the job states in which a job's workers run or will run.
var alive = map[string]bool{"PENDING": true, "RUNNING": true, "CONFIGURING": true, "SUSPENDED": true,
	"REQUEUED": true, "REQUEUE_HOLD": true, "REQUEUE_FED": true, "RESIZING": true, "SIGNALING": true, "STAGE_OUT": true}

// poll updates the jobs' states from squeue. When the controller does not
// answer (it may be restarting) nothing changes: the connections still say
// which workers are there.
func (b *Backend) poll(ctx context.Context) {
	ids := b.JobIDs()
	if len(ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := b.run(ctx, "squeue", "-h", "-t", "all", "-j", strings.Join(ids, ","), "-o", "%i %T")
	if err != nil && !strings.Contains(err.Error(), "Invalid job id") {
		slog.Debug("burst: squeue failed; keeping the jobs' last known states", "err", err)
		return
	}
	seen := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			seen[f[0]] = f[1]
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, id := range ids {
		j := b.jobs[id]
		st, ok := seen[id]
		if !ok {
			// Gone from the controller's memory: long ended.
			st = "GONE"
		}
		j.state = st
		if !alive[st] && !j.ended {
			j.ended = true
			if j.ever == 0 {
				b.failures++
			}
			slog.Info("burst: slurm job ended", "job", id, "state", st, "workers_connected_ever", j.ever)
		}
	}
}

// reconcile submits replacements for lost workers (or, adaptive, for calls
// waiting) and cancels idle jobs beyond the minimum.
func (b *Backend) reconcile(ctx context.Context) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	capacity := 0
	for _, j := range b.jobs {
		if !j.ended {
			capacity += j.want - j.lost
		}
	}
	target := b.opts.Workers
	var release []string
	if b.opts.Policy == Adaptive {
		n := int(b.inflight.Load())
		want := (n + b.opts.PerWorker - 1) / b.opts.PerWorker
		target = min(max(want, b.opts.Min), b.opts.Max)
		now := time.Now()
		if n > 0 || b.idleFrom.IsZero() {
			b.idleFrom = now
		}
		if n == 0 && now.Sub(b.idleFrom) >= b.opts.Idle {
			// Cancel whole jobs, newest first, while the minimum holds.
			for i := len(b.order) - 1; i >= 0; i-- {
				j := b.jobs[b.order[i]]
				if !j.ended && capacity-(j.want-j.lost) >= b.opts.Min {
					capacity -= j.want - j.lost
					j.ended = true
					release = append(release, j.id)
				}
			}
		}
		if target < capacity {
			target = capacity // never cancel busy workers to shrink
		}
	}
	b.target.Store(int64(target))
	short := target - capacity
	broken := b.failures >= maxFailedJobs
	b.mu.Unlock()
	if len(release) > 0 {
		slog.Info("burst: slurm workers idle; cancelling their jobs", "jobs", release)
		if _, err := b.run(ctx, "scancel", release...); err != nil {
			slog.Warn("burst: slurm scancel failed", "jobs", release, "err", err)
		}
	}
	if short <= 0 {
		return
	}
	if broken {
		slog.Error("burst: slurm: jobs keep ending before any worker connects; not submitting more (see the jobs' logs)",
			"log_dir", b.opts.LogDir, "failed_jobs", maxFailedJobs)
		return
	}
	b.mu.Lock()
	wait := time.Until(b.retryAt)
	b.mu.Unlock()
	if wait > 0 {
		return
	}
	_, err := b.submit(ctx, short, 0)
	b.mu.Lock()
	if err != nil {
		b.retryWait = min(max(2*b.retryWait, 2*time.Second), time.Minute)
		b.retryAt = time.Now().Add(b.retryWait)
		slog.Warn("burst: slurm: could not submit replacement workers; will try again", "in", b.retryWait, "err", err)
	} else {
		b.retryWait, b.retryAt = 0, time.Time{}
	}
	b.mu.Unlock()
}
