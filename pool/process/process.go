// Package process is the pool backend that runs calls in child processes of
// the driver's own binary: real process isolation and real encoding, on one
// machine, with no cloud account. Importing it registers the "process" scheme:
//
//	p, err := pool.Open(ctx, "process://?workers=4")
//
// Each worker takes many calls at once over a pair of pipes (fds 3 and 4 of
// the child, so a function printing to stdout cannot corrupt the protocol);
// its stdout and stderr are forwarded line by line with a "[worker N]"
// prefix. On Windows, where a child inherits no other descriptors, the pipes
// are the worker's stdin and stdout instead, and what functions print to
// stdout goes to its stderr (transport=stdio, the only transport there and
// selectable elsewhere: Options.Transport). Windows has no Pdeathsig: a
// worker there ends when its call pipe closes, which a killed driver's does. A worker that dies is replaced, and the calls it had in flight fail
// with driver.ErrWorkerLost, which the pool retries on another worker (calls
// that were only waiting there are sent to another worker at once), so every
// call still returns exactly one result.
//
// A worker can never be lost to a call. Cancelling a call's context, or its
// timeout, cancels the function's context in the worker, and the call stops
// counting against the limit at once (its worker takes other calls beside
// it); a function that has not returned a grace period later (Options.Grace,
// ?grace=, default 1 s) is taken to ignore its context, and its worker is
// killed and replaced, its other calls retried elsewhere. A
// function that calls runtime.Goexit, or writes to fds 3 or 4 (which the
// worker moves its pipes away from), ends its call with an error saying so,
// and its worker is replaced too. Workers end with their driver on every
// path: when it closes the backend, when it exits or crashes (their call
// pipe closes), and on Linux even when it is killed with SIGKILL (the kernel
// sends them SIGKILL too). A worker told to stop with SIGTERM or SIGINT
// cancels its calls and exits within the grace period. A worker that stops
// without exiting (SIGSTOP, swapped out) is noticed too: one with calls in
// flight that sends nothing for an interval (Options.Liveness, ?liveness=,
// default 5 s) is pinged, and answers from its reader while its calls run;
// one silent for LivenessMisses intervals is killed and replaced, its calls
// retried elsewhere. Attached workers (NewAttached: pool/tcp's, across a
// network) are pinged every interval, idle too, so that they can tell a
// driver whose host vanished, and are dropped when silent even while idle.
//
// Workers divide the machine between them: unless GOMAXPROCS is set (in the
// driver's environment or Options.Env), each runs with GOMAXPROCS = NumCPU /
// Workers (at least 1), so the default of one worker per CPU runs each on
// one P. A worker with a P for every CPU of the machine keeps idle Ps whose
// threads the Go scheduler wakes on every goroutine hand-over, and each such
// wake-up takes a CPU from another worker's function: with two workers on
// two CPUs, remd lj38 (calls of 5 ms) saw 11.2 thread wake-ups per call
// across driver and workers with a P per CPU, 7.4 with one. Functions that
// use several cores each want fewer workers (workers=1 gets every CPU) or
// GOMAXPROCS set.
//
// The backend is a driver.Queuer: it keeps the count of running calls against
// the pool's limit itself and holds calls waiting beside a busy worker, which
// starts the next one the moment a running call ends, so a worker never idles
// for a round trip to the driver between calls. How many wait there follows
// the calls' observed duration: one per worker slot for calls of a
// millisecond or more (so long calls are not tied to a worker early), up to
// 64 for trivial calls, whose cost is then the pipes' and not the calls'; the
// rest wait in the driver, in order, for room.
package process

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/heard"
	"github.com/burst-dev/burst/pool/internal/rawio"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "process"

const defaultMaxMessage = 64 << 20

// Options configure a process Backend.
type Options struct {
	// Workers is the number of child processes (default: the number of CPUs).
	Workers int
	// PerWorker is how many calls a worker runs at once by default; the
	// backend's Limit is Workers × PerWorker (default 1: CPU-bound work).
	PerWorker int
	// MaxMessage bounds an encoded call or result in bytes (default 64 MiB).
	MaxMessage int
	// Env is added to the workers' environment. Unless it or the driver's
	// environment sets GOMAXPROCS, each worker gets GOMAXPROCS = its share
	// of the driver's CPUs (NumCPU / Workers, at least 1; see the package
	// doc).
	Env []string
	// Output receives the workers' stdout and stderr, line by line with a
	// worker prefix (default os.Stderr).
	Output io.Writer
	// Stdout, if set, receives the workers' stdout line by line without a
	// prefix, as if the functions had printed in the driver: what a ported
	// program that prints its results needs (URL: stdout=driver, for
	// os.Stdout). Stderr still goes to Output.
	Stdout io.Writer
	// Command is the worker command line (default: this executable).
	Command []string
	// Transport is how calls reach a worker: "fd" (the default on Unix),
	// two pipes the worker inherits as descriptors 3 and 4, leaving its
	// stdin and stdout to the functions; or "stdio" (the default and only
	// choice on Windows, where os/exec passes no other descriptors), the
	// worker's stdin and stdout, with what functions print to stdout sent
	// to stderr instead (so Stdout cannot be set). URL: transport=fd|stdio.
	Transport string
	// Grace is how long a call's function may run on after its deadline or
	// cancellation before its worker is killed and replaced, and how long a
	// stopping worker gives its calls to clean up (default 1 s).
	Grace time.Duration
	// Liveness is how long a worker with calls in flight may send nothing
	// before the driver pings it (default 5 s; negative: never). A worker
	// that sends no frame at all for LivenessMisses intervals — stopped
	// (SIGSTOP), swapped out, its host unreachable — is declared lost: a
	// child process is killed, an attached stream closed, and its calls
	// fail with driver.ErrWorkerLost, which the pool retries elsewhere.
	// A worker answers pings while its calls run, so a long call is never
	// taken for a lost worker. Attached workers (NewAttached) are pinged
	// every interval, idle too, so that they can tell a vanished driver
	// (see Liveness), and one silent for LivenessMisses intervals is
	// dropped even while idle. URL: liveness=5s, liveness=off (or 0).
	Liveness time.Duration
}

const defaultGrace = time.Second

// DefaultLiveness is the interval of Options.Liveness when it is not set.
const DefaultLiveness = 5 * time.Second

// LivenessMisses is how many intervals of silence make a worker with calls
// in flight lost: it was pinged after the first and did not answer in the
// others.
const LivenessMisses = 3

// ParseLiveness reads the liveness parameter of a URL or configuration
// file: a Go duration > 0, or "off" or "0" to watch no worker (returned as
// -1, Options.Liveness's "never").
func ParseLiveness(v string) (time.Duration, error) {
	switch v {
	case "off", "0":
		return -1, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("liveness=%q: want a Go duration > 0 such as 5s (how long a busy worker may be silent before it is pinged), or off", v)
	}
	return d, nil
}

// LivenessParam sets *dst from the URL parameter liveness, if present.
func LivenessParam(scheme string, q url.Values, dst *time.Duration) error {
	if !q.Has("liveness") {
		return nil
	}
	d, err := ParseLiveness(q.Get("liveness"))
	if err != nil {
		return fmt.Errorf("%s: parameter %w", scheme, err)
	}
	*dst = d
	return nil
}

func init() {
	driver.RegisterCapabilities(Scheme, driver.Capabilities{MaxMessage: defaultMaxMessage})
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		if err := driver.UnknownParams(u, "workers", "per_worker", "max_message", "grace", "stdout", "transport", "liveness"); err != nil {
			return nil, err
		}
		var o Options
		switch v := u.Query().Get("stdout"); v {
		case "":
		case "driver":
			o.Stdout = os.Stdout
		default:
			return nil, fmt.Errorf("process: parameter stdout=%q: want driver (the workers' stdout to the driver's, unprefixed), or leave it out (to stderr with a [worker N] prefix)", v)
		}
		o.Transport = u.Query().Get("transport")
		if err := driver.DurationParams("process", u.Query(), map[string]*time.Duration{"grace": &o.Grace}); err != nil {
			return nil, err
		}
		if err := LivenessParam("process", u.Query(), &o.Liveness); err != nil {
			return nil, err
		}
		if err := driver.IntParams("process", u.Query(), map[string]*int{"workers": &o.Workers, "per_worker": &o.PerWorker, "max_message": &o.MaxMessage}); err != nil {
			return nil, err
		}
		return New(ctx, o)
	})
}

// Backend is a set of worker processes.
type Backend struct {
	opts    Options
	seq     atomic.Uint64
	mu      sync.Mutex
	workers []*worker
	changed chan struct{} // closed and replaced when a worker becomes ready or dies
	closed  bool
	fails   int // consecutive workers that died before saying hello
	lastErr error
	spawn   *spawner
	// limit is how many calls run at once over all workers (Queue sets it;
	// until then Limit). running counts the calls the driver must assume
	// are running: a call counts from the moment it is sent to run or
	// promoted, or its start is reported, until its result arrives, so the
	// count is never below the truth and the limit is never exceeded.
	limit   int
	running int
	// returning counts the recalled calls handed back whose callers have
	// not sent them again yet (call.returning).
	returning int
	// held are the calls waiting in the driver for room beside a worker,
	// oldest first. took is the moving average of the calls' durations on
	// the workers, which sets how much room there is (depthLocked).
	held []*call
	took time.Duration
	// attached: the workers are connections handed to Attach, not child
	// processes; a lost one is removed, not respawned.
	attached bool
	nextID   int
	// unwatch ends the liveness watch (watch) when the backend closes.
	unwatch chan struct{}
}

// New starts the workers and waits until they are ready.
func New(ctx context.Context, o Options) (*Backend, error) {
	switch o.Transport {
	case "":
		o.Transport = transportFD
		if runtime.GOOS == "windows" {
			o.Transport = transportStdio
		}
	case transportFD:
		if runtime.GOOS == "windows" {
			// os/exec cannot pass descriptors 3 and 4 (ExtraFiles) there.
			return nil, errors.New("process: transport=fd is not available on windows, where a child inherits no descriptors but stdin, stdout and stderr: use transport=stdio (the default there)")
		}
	case transportStdio:
	default:
		return nil, fmt.Errorf("process: transport %q: want fd (inherited descriptors 3 and 4; not on windows) or stdio (the worker's stdin and stdout)", o.Transport)
	}
	if o.Transport == transportStdio && o.Stdout != nil {
		return nil, errors.New("process: stdout=driver (Options.Stdout) needs transport=fd: with transport=stdio the worker's stdout carries the protocol and what functions print goes to stderr")
	}
	if o.Workers < 1 {
		o.Workers = runtime.NumCPU()
	}
	if o.PerWorker < 1 {
		o.PerWorker = 1
	}
	if o.MaxMessage < 1 {
		o.MaxMessage = defaultMaxMessage
	}
	if o.Output == nil {
		o.Output = os.Stderr
	}
	if o.Grace <= 0 {
		o.Grace = defaultGrace
	}
	if len(o.Command) == 0 {
		cmd, err := driver.SelfCommand()
		if err != nil {
			return nil, fmt.Errorf("process: %w", err)
		}
		o.Command = cmd
	}

	b := &Backend{opts: o, workers: make([]*worker, o.Workers), changed: make(chan struct{}), spawn: newSpawner(), unwatch: make(chan struct{})}
	b.startWatch()
	b.mu.Lock()
	for i := range b.workers {
		b.spawnLocked(i)
	}
	b.mu.Unlock()
	// Wait for all to be ready, so the first calls do not pay start-up.
	for {
		b.mu.Lock()
		ready, ch, err := 0, b.changed, b.lastErr
		for _, w := range b.workers {
			if w.isReady() {
				ready++
			}
		}
		broken := b.fails >= maxStartFailures
		b.mu.Unlock()
		if ready == len(b.workers) {
			return b, nil
		}
		if broken {
			b.Close()
			return nil, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			b.Close()
			return nil, fmt.Errorf("process: workers not ready: %w", context.Cause(ctx))
		}
	}
}

const maxStartFailures = 3

// NewAttached returns a Backend that starts no processes: its workers are
// streams handed to Attach, such as the network connections of workers that
// dialled in (pool/tcp and pool/slurm build on it). o.Workers is how many
// workers are expected, for Limit; calls wait until a worker is attached.
func NewAttached(o Options) *Backend {
	if o.Workers < 1 {
		o.Workers = 1
	}
	if o.PerWorker < 1 {
		o.PerWorker = 1
	}
	if o.MaxMessage < 1 {
		o.MaxMessage = defaultMaxMessage
	}
	if o.Grace <= 0 {
		o.Grace = defaultGrace
	}
	b := &Backend{opts: o, changed: make(chan struct{}), attached: true, unwatch: make(chan struct{})}
	b.startWatch()
	return b
}

// Attach adds a worker that speaks the protocol (Serve's side of it) over
// rw, which the backend owns from now on. The worker takes calls once its
// hello arrives and is dropped, its calls failing with driver.ErrWorkerLost
// (so the pool retries them elsewhere), when rw fails or Close closes it.
// The returned channel is closed then. name appears in errors and logs.
func (b *Backend) Attach(rw io.ReadWriteCloser, name string) (gone <-chan struct{}, err error) {
	b.mu.Lock()
	if b.closed || !b.attached {
		b.mu.Unlock()
		rw.Close()
		if !b.attached {
			return nil, errors.New("process: Attach on a backend made by New; use NewAttached")
		}
		return nil, pool.ErrClosed
	}
	w := &worker{b: b, index: b.nextID, name: name, calls: rw, dead: make(chan struct{}), pending: map[uint64]*call{}}
	b.nextID++
	rr, rw2 := rawio.Stream(rw)
	w.send = newSender(rw2)
	w.in = &heard.Reader{R: rr}
	w.rd = newFrameReader(w.in, rw, nil)
	b.workers = append(b.workers, w)
	b.mu.Unlock()
	go w.readFrames(0)
	return w.dead, nil
}

// CancelsCalls reports true: a cancelled call's function sees its context
// end, and a worker whose function ignores it is replaced (driver.Canceller).
func (b *Backend) CancelsCalls() bool { return true }

// Limit is Workers × PerWorker.
func (b *Backend) Limit() int { return b.opts.Workers * b.opts.PerWorker }

// Queue makes the backend run at most limit calls at once over all workers
// and accept up to maxDepth calls per worker slot more (see driver.Queuer),
// of which it sends as many to wait beside busy workers as the calls'
// duration warrants (depthLocked): a worker whose call ends starts its
// waiting call at once, rather than a round trip to the driver later.
func (b *Backend) Queue(limit int) (extra int) {
	b.mu.Lock()
	b.limit = limit
	b.mu.Unlock()
	return min(b.Limit()*maxDepth, maxExtra)
}

// The calls waiting beside workers hold about queueBudget of work per worker
// slot, going by the calls' average duration: at least one call (a worker
// never idles for the driver), at most maxDepth, and at most maxExtra over
// all workers. Trivial calls then go in batches, many to a write and a
// read, which is what lets the plain process:// URL map tens of thousands a
// second; calls of a millisecond and more wait one per slot, so that a call
// is given to a worker only when that worker is about to be free.
const (
	queueBudget = time.Millisecond
	maxDepth    = 64
	maxExtra    = 1024
)

// depthLocked is how many calls may wait beside the workers; b.mu is held.
func (b *Backend) depthLocked() int {
	slots := b.Limit()
	if b.took <= 0 {
		return slots
	}
	d := int(queueBudget / b.took)
	return min(slots*max(d, 1), slots*maxDepth, maxExtra)
}

// observe adds the duration of a call that ended to the moving average;
// b.mu is held. Long calls pull the average up at once, so the queues
// shrink as soon as calls grow.
func (b *Backend) observe(d time.Duration) {
	if d <= 0 {
		return
	}
	if b.took == 0 {
		b.took = d
		return
	}
	b.took += (d - b.took) / 8
}

func (b *Backend) limitLocked() int {
	if b.limit > 0 {
		return b.limit
	}
	return b.Limit()
}

// WorkerStatus describes one worker process.
type WorkerStatus struct {
	Index    int
	PID      int
	Ready    bool // said hello and not known to be gone
	InFlight int  // calls sent and not yet answered
}

// Workers describes the current workers, for monitoring.
func (b *Backend) Workers() []WorkerStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	var ws []WorkerStatus
	for _, w := range b.workers {
		if w != nil && w.cmd != nil && w.cmd.Process != nil {
			ws = append(ws, WorkerStatus{Index: w.index, PID: w.cmd.Process.Pid, Ready: w.isReady(), InFlight: len(w.pending)})
		}
	}
	return ws
}

// PIDs returns the process ids of the current workers.
func (b *Backend) PIDs() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var pids []int
	for _, w := range b.workers {
		if w != nil && w.cmd != nil && w.cmd.Process != nil {
			pids = append(pids, w.cmd.Process.Pid)
		}
	}
	return pids
}

// Close stops every worker: it closes their call pipes, which ends them, and
// kills any still running after a grace period.
func (b *Backend) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.unwatch)
	b.releaseHeldLocked()
	ws := append([]*worker(nil), b.workers...)
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, w := range ws {
		if w != nil {
			wg.Go(w.stop)
		}
	}
	wg.Wait()
	if b.spawn != nil {
		b.spawn.stop()
	}
	return nil
}

// Invoke sends req to a worker and waits for its answer. Below the limit
// the call runs at once on the worker running fewest calls; at the limit it
// waits on a busy worker, which starts it when one of its calls ends.
func (b *Backend) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	type result struct {
		resp *driver.Response
		err  error
	}
	ch := make(chan result, 1)
	b.Start(ctx, req, func(resp *driver.Response, err error) { ch <- result{resp, err} })
	r := <-ch
	return r.resp, r.err
}

// Start sends req as Invoke does and, instead of waiting, calls done once
// with what Invoke would return (driver.Starter). done runs on the reader
// goroutine of the worker that answered, or on whichever goroutine ended
// the call (its context's, its timeout's, a failed worker's), and on the
// caller's when the call fails before it is sent; it must not block, or it
// holds up that worker's results. No goroutine waits for the call: a
// result handed from the reader to a waiting goroutine readies it, and
// while the driver's other P is idle the runtime wakes a thread for it, an
// IPI that takes a core from a worker's function on a host the driver
// shares with its workers.
func (b *Backend) Start(ctx context.Context, req *driver.Request, done func(*driver.Response, error)) {
	hdr := *req
	hdr.Input = nil
	payload, err := appendEnvelope(nil, &hdr, req.Input)
	if err != nil {
		done(nil, fmt.Errorf("process: encode call: %w", err))
		return
	}
	if len(payload) > b.opts.MaxMessage {
		done(nil, fmt.Errorf("process: call of %d bytes exceeds the message limit of %d bytes (raise process://?max_message=): %w",
			len(payload), b.opts.MaxMessage, driver.ErrTooLarge))
		return
	}
	b.send(b.newCall(req, payload, ctx, done), nil)
}

// call is the driver's record of one attempt to run a call on a worker; it
// lives in the worker's pending map until the worker answers, even after
// the caller gave up, because until then the call may be running. A call
// that comes back unstarted is sent again as a new call (again).
type call struct {
	seq     uint64
	req     *driver.Request
	payload []byte // its frame's payload
	ctx     context.Context
	// done is the caller's, called once by whoever ends the call (end):
	// its result, its context, its timeout, its worker's death, or the
	// backend closing while it was held.
	done    func(*driver.Response, error)
	ended   atomic.Bool
	unwatch func() bool                // stops the watch of ctx; set before the call can end
	timer   atomic.Pointer[time.Timer] // its timeout, from its start; it may fire before it is stored
	w       *worker                    // under b.mu: where it was sent; nil while held in the driver
	running bool
	// recalled: waiting on a busy worker, it was asked back (kindRecall)
	// for a worker gone idle; it counts in its worker's recalls until it
	// starts there anyway or comes back. returning: it came back, and is
	// about to be sent again (Backend.send) or given up (abandon). Both
	// reserve the free slot for it (reservedLocked).
	recalled, returning bool
	// abandoned: its caller stopped waiting. It no longer counts against
	// the limit (released), so a function ignoring its context holds no
	// slot; it only holds its worker until the grace period ends.
	abandoned, released bool
}

// claim makes the caller of claim the one that ends c, reporting false if
// another did already.
func (c *call) claim() bool {
	if !c.ended.CompareAndSwap(false, true) {
		return false
	}
	if c.unwatch != nil {
		c.unwatch()
	}
	if t := c.timer.Load(); t != nil {
		t.Stop()
	}
	return true
}

// end ends c with its result, unless another did already.
func (c *call) end(resp *driver.Response, err error) {
	if c.claim() {
		c.done(resp, err)
	}
}

// again is the next attempt at c, which came back unstarted: the worker it
// waited on died, left, or handed it back to go to a worker gone idle
// (recall). It is sent ahead of the calls held in the driver, as if it had
// not been sent.
func (c *call) again(b *Backend) *call { return b.newCall(c.req, c.payload, c.ctx, c.done) }

// newCall is an attempt at req, numbered anew.
func (b *Backend) newCall(req *driver.Request, payload []byte, ctx context.Context, done func(*driver.Response, error)) *call {
	return &call{seq: b.seq.Add(1), req: req, payload: payload, ctx: ctx, done: done}
}

// resend sends c again if no one ended it meanwhile.
func (b *Backend) resend(c *call) {
	if c.claim() {
		b.send(c.again(b), c)
	}
}

// holds reports whether w has an attempt of the same pool call as c.
func (w *worker) holds(c *call) bool {
	for _, o := range w.pending {
		if o.req.ID == c.req.ID && o.req.Job == c.req.Job {
			return true
		}
	}
	return false
}

// send picks a worker for c, records it there and sends it, or, when the
// workers have no room for it (depthLocked) or none is ready yet, holds it
// in the driver behind the calls that were there first, to be sent by
// whoever makes room; it never blocks. A call sent again (prev, its last
// attempt, came back unstarted) was there first, and goes ahead of them,
// into the slot reserved for it if it was recalled.
func (b *Backend) send(c *call, prev *call) {
	again := prev != nil
	b.mu.Lock()
	if again && prev.returning {
		// Its reservation ends as it is placed or held, below, in this
		// same hold of b.mu.
		prev.returning = false
		b.returning--
	}
	var err error
	switch {
	case b.closed:
		err = pool.ErrClosed
	case b.fails >= maxStartFailures:
		err = b.lastErr
	}
	if err != nil {
		b.mu.Unlock()
		c.end(nil, err)
		return
	}
	// Set under b.mu: whatever ends the call (its result is settled under
	// b.mu first) finds the watch to stop.
	c.unwatch = context.AfterFunc(c.ctx, func() { b.cancelled(c) })
	// A backup is late already: it goes ahead of the held calls.
	if len(b.held) == 0 || c.req.Backup || again {
		if w := b.placeLocked(c); w != nil {
			b.mu.Unlock()
			// A failed write means the worker is dying; its reader
			// sees it go and ends its calls.
			_ = w.send.flush()
			return
		}
	}
	if again {
		b.held = slices.Insert(b.held, 0, c)
	} else {
		b.held = append(b.held, c)
	}
	b.mu.Unlock()
}

// cancelled ends c, whose context ended: a held call leaves the queue, and
// one sent to a worker is abandoned there (the worker cancels it).
func (b *Backend) cancelled(c *call) {
	b.mu.Lock()
	w := c.w
	if w == nil {
		if i := slices.Index(b.held, c); i >= 0 {
			b.held = slices.Delete(b.held, i, i+1)
		}
	}
	b.mu.Unlock()
	if !c.claim() {
		return
	}
	if w != nil {
		why := "its cancellation"
		if errors.Is(c.ctx.Err(), context.DeadlineExceeded) {
			why = "its deadline"
		}
		w.abandon(c, why)
	}
	c.done(nil, context.Cause(c.ctx))
}

// expired ends c, which ran past its timeout.
func (b *Backend) expired(c *call, timeout time.Duration) {
	if !c.claim() {
		return
	}
	c.w.abandon(c, "its timeout")
	c.done(nil, fmt.Errorf("process: call ran past its timeout of %v: %w", timeout, context.DeadlineExceeded))
}

// placeLocked records c on the best worker that has room for it and
// enqueues its frame, or returns nil; b.mu is held. Below the limit c runs
// at once; at the limit it waits beside a busy worker, if fewer than
// depthLocked wait there already (a backup always may).
func (b *Backend) placeLocked(c *call) *worker {
	limit := b.limitLocked()
	// A backup takes the slot of the attempt it backs up (below), which
	// runs on beside the other calls as an abandoned one does: a straggler
	// and its backup count once against the limit. Counting both would
	// leave the backup waiting for a free slot that the straggler's own
	// worker keeps taking, starting its waiting calls as each of its
	// others ends, until the straggler itself ends.
	slow := b.stragglerLocked(c)
	// Slots reserved for recalled calls are taken: the call that was
	// there first is on its way to them.
	reserved := b.reservedLocked()
	running := b.running + reserved
	if slow != nil {
		running--
	}
	run := running < limit
	var best *worker
	var other *worker // for a backup, the best worker not running its first attempt
	// A worker starts its next call as one ends and says so just before
	// that call's result: in between, running is over the limit by the
	// calls whose results are on their way. They count as waiting here,
	// or one more call would wait than depthLocked allows.
	queued := max(b.running-limit, 0)
	share := limit / max(b.readyLocked(), 1)
	for _, w := range b.workers {
		if !w.isReady() {
			continue
		}
		queued += len(w.queue)
		if best == nil || (run && w.less(best)) || (!run && w.betterQueue(best, share)) {
			best = w
		}
		if c.req.Backup && !w.holds(c) && (other == nil || (run && w.less(other)) || (!run && w.betterQueue(other, share))) {
			other = w
		}
	}
	if other != nil {
		best = other
	}
	if best == nil || (!run && !c.req.Backup && queued >= b.depthLocked()) {
		return nil
	}
	if slow != nil && other != nil {
		b.releaseLocked(slow.w, slow.c)
	} else if slow != nil {
		// Only the straggler's own worker can take the backup: the two
		// count apart, and the backup waits there ahead of the others.
		run = b.running+reserved < limit
	}
	kind := kindQueue
	best.pending[c.seq] = c
	c.w = best
	if run {
		kind = kindCall
		b.startLocked(best, c)
	} else if c.req.Backup {
		// It waits ahead of the rest in the worker too (which reads
		// req.Backup).
		best.queue = slices.Insert(best.queue, 0, c)
	} else {
		best.queue = append(best.queue, c)
	}
	// Enqueued under b.mu so that a later promotion of this call cannot
	// reach the worker before the call itself.
	best.send.enqueue(frame{kind: kind, seq: c.seq, payload: c.payload})
	return best
}

// straggler is a running attempt of a call that a backup is sent for.
type straggler struct {
	w *worker
	c *call
}

// stragglerLocked returns the running attempt, still counted against the
// limit, of the call that backup c backs up, or nil; b.mu is held.
func (b *Backend) stragglerLocked(c *call) *straggler {
	if !c.req.Backup {
		return nil
	}
	for _, w := range b.workers {
		if !w.isReady() {
			continue
		}
		for _, o := range w.pending {
			if o != c && o.running && !o.released && o.req.ID == c.req.ID && o.req.Job == c.req.Job {
				return &straggler{w, o}
			}
		}
	}
	return nil
}

// releaseHeldLocked ends the held calls of a backend closed or broken, with
// the error that says which; b.mu is held.
func (b *Backend) releaseHeldLocked() {
	held := b.held
	b.held = nil
	err := pool.ErrClosed
	if !b.closed {
		err = b.lastErr
	}
	// Not under b.mu: a caller may try again at once, which takes it.
	go func() {
		for _, c := range held {
			c.end(nil, err)
		}
	}()
}

// reservedLocked is how many slots are kept for recalled calls: asked back
// and not yet answered, or handed back and not yet sent again; b.mu is
// held. A recall crossing the call's start on its worker ends with the
// start (settle), and a worker that dies or leaves takes its recalls with
// it: its calls are sent again as they come back.
func (b *Backend) reservedLocked() int {
	n := b.returning
	for _, w := range b.workers {
		if w.isReady() {
			n += w.recalls
		}
	}
	return n
}

// readyLocked is how many workers take calls; b.mu is held.
func (b *Backend) readyLocked() int {
	n := 0
	for _, w := range b.workers {
		if w.isReady() {
			n++
		}
	}
	return n
}

// load is how many calls w runs. Abandoned calls still running count: such
// a worker may be killed at the end of their grace period, and its calls
// with it.
func (w *worker) load() int { return w.running + w.abandoned }

// less orders workers for a call that runs now: fewest running, then fewest
// waiting.
func (w *worker) less(o *worker) bool {
	if a, b := w.load(), o.load(); a != b {
		return a < b
	}
	return len(w.queue) < len(o.queue)
}

// betterQueue orders workers for a call that must wait, share being the
// limit's share of one worker (rounded down). First a worker running less
// than its share: with the limit reached, another runs more than its own,
// which only a promotion (not that worker starting its own waiting calls)
// evens out, and a call waiting here is the one promoted. Then one that is
// running something (so the call starts when that ends, without the
// driver), then the shortest queue per running call.
func (w *worker) betterQueue(o *worker, share int) bool {
	if a, b := w.load() < share, o.load() < share; a != b {
		return a
	}
	if (w.running > 0) != (o.running > 0) {
		return w.running > 0
	}
	return len(w.queue)*max(o.running, 1) < len(o.queue)*max(w.running, 1)
}

// releaseLocked stops counting running call c on w against the limit
// while it runs on (its caller stopped waiting, or a backup took its slot);
// b.mu is held.
func (b *Backend) releaseLocked(w *worker, c *call) {
	c.released = true
	w.running--
	w.abandoned++
	b.running--
}

// startLocked counts c as running on w; b.mu is held.
func (b *Backend) startLocked(w *worker, c *call) {
	c.req.Started()
	c.running = true
	if c.abandoned {
		c.released = true
		w.abandoned++
		return
	}
	w.running++
	b.running++
	// The timeout runs from the call's start, not from its sending: a
	// waiting call has not started.
	if t := time.Duration(c.req.Timeout); t > 0 && !c.ended.Load() {
		c.timer.Store(time.AfterFunc(t, func() { b.expired(c, t) }))
	}
}

// promoteLocked fills the slots free under the limit, then sends held calls
// where there is room, and returns the workers that have frames to flush;
// b.mu is held.
//
// A free slot is a worker running fewer calls than the others. The oldest
// waiting call starts where it waits if that worker runs no more than the
// least busy one. Otherwise starting it there would leave the least busy
// worker idle while its own runs two calls at once; worse, that worker,
// the only one running anything, then got every waiting call and started
// them itself as its calls ended, so the other stayed idle for good. The
// free slot takes the oldest held call instead, or, with none held, the
// waiting call is recalled (W): its worker hands it back unstarted (N),
// unless it started it meanwhile, and its caller sends it again, first.
func (b *Backend) promoteLocked() []*worker {
	var touched []*worker
	touch := func(w *worker) {
		if !slices.Contains(touched, w) {
			touched = append(touched, w)
		}
	}
	limit := b.limitLocked()
	for {
		var from, least *worker
		var oldest *call
		for _, w := range b.workers {
			if !w.isReady() {
				continue
			}
			if least == nil || w.load() < least.load() {
				least = w
			}
			// An abandoned call needs no slot: its cancel is on its way,
			// and its worker answers it without running it.
			for _, c := range w.queue {
				if !c.recalled && !c.abandoned {
					if oldest == nil || c.seq < oldest.seq {
						from, oldest = w, c
					}
					break
				}
			}
		}
		// A recalled call is on its way to a free slot.
		if least == nil || b.running+b.reservedLocked() >= limit {
			break
		}
		switch {
		case from != nil && from.load() <= least.load():
			from.queue = slices.DeleteFunc(from.queue, func(o *call) bool { return o == oldest })
			b.startLocked(from, oldest)
			from.send.enqueue(frame{kind: kindPromote, seq: oldest.seq})
			touch(from)
			continue
		case len(b.held) > 0:
			if w := b.placeHeldLocked(); w != nil {
				touch(w)
				continue
			}
		case from != nil:
			oldest.recalled = true
			from.recalls++
			from.send.enqueue(frame{kind: kindRecall, seq: oldest.seq})
			touch(from)
			continue
		}
		break
	}
	for len(b.held) > 0 {
		w := b.placeHeldLocked()
		if w == nil {
			break
		}
		touch(w)
	}
	return touched
}

// placeHeldLocked places the oldest held call, if there is room for it, and
// returns its worker; b.mu is held.
func (b *Backend) placeHeldLocked() *worker {
	c := b.held[0]
	w := b.placeLocked(c)
	if w == nil {
		return nil
	}
	b.held[0] = nil
	b.held = b.held[1:]
	return w
}

// settle updates the books when the worker reports that call seq started
// (result false) or ended (result true; back: handed back unstarted) after
// running for took, and returns the call.
func (b *Backend) settle(w *worker, seq uint64, result, back bool, took time.Duration) *call {
	b.mu.Lock()
	b.observe(took)
	c := w.pending[seq]
	// A recalled call handed back keeps its slot for its caller, who sends
	// it again at once: promoting now would fill the slot first (recalling
	// another waiting call for it, or starting one over the limit).
	returned := false
	if c != nil {
		if c.recalled {
			// Started here after all, or answered: no longer on its way.
			c.recalled = false
			w.recalls--
			if back && !c.abandoned {
				// Its caller sends it again (dispatch ends the
				// reservation) or gives up (abandon ends it).
				c.returning = true
				b.returning++
				returned = true
			}
		}
		switch {
		case !c.running:
			if i := slices.Index(w.queue, c); i >= 0 {
				w.queue = slices.Delete(w.queue, i, i+1)
			}
			if !result {
				b.startLocked(w, c)
			}
		case result && !c.released:
			w.running--
			b.running--
		case result:
			w.abandoned--
		}
		if result {
			delete(w.pending, seq)
		}
	}
	// A worker starts a waiting call only as its call ends, and says so
	// just before that call's result: room is made on the result, so the
	// workers never hold more than depthLocked waiting and limit running.
	var touched []*worker
	if result && !returned {
		touched = b.promoteLocked()
	}
	b.mu.Unlock()
	for _, t := range touched {
		_ = t.send.flush()
	}
	return c
}

func (b *Backend) notifyLocked() {
	if b.closed || b.fails >= maxStartFailures {
		b.releaseHeldLocked()
	}
	close(b.changed)
	b.changed = make(chan struct{})
}

// spawnLocked starts worker i; b.mu is held.
func (b *Backend) spawnLocked(i int) {
	w, err := startWorker(b, i)
	if err != nil {
		b.fails++
		b.lastErr = err
		b.notifyLocked()
		return
	}
	b.workers[i] = w
}

// died is called once by a worker's reader when the worker is gone.
func (b *Backend) died(w *worker, err error) {
	b.mu.Lock()
	switch {
	case b.closed:
	case b.attached:
		// Not ours to restart: whoever attached it learns from its channel.
		b.workers = slices.DeleteFunc(b.workers, func(o *worker) bool { return o == w })
		if w.ready.Load() {
			slog.Warn("burst: worker lost", "worker", w.name, "err", err)
		}
	case !w.ready.Load():
		b.fails++
		b.lastErr = fmt.Errorf("process: worker %d exited before it was ready (did main, or TestMain, call pool.Main() first?): %v%s",
			w.index, err, w.tail())
	default:
		slog.Warn("burst: process worker lost; starting a replacement", "worker", w.index, "pid", w.cmd.Process.Pid, "err", err)
	}
	if !b.closed && !b.attached && b.workers[w.index] == w && b.fails < maxStartFailures {
		b.spawnLocked(w.index)
	}
	// Its calls fail with ErrWorkerLost and are retried elsewhere, or sent
	// elsewhere if they had not started.
	b.running -= w.running
	// A call's running flag no longer changes once its worker is off the
	// books: it is read below without b.mu.
	calls := slices.SortedFunc(maps.Values(w.pending), func(a, c *call) int { return cmp.Compare(a.seq, c.seq) })
	w.running, w.abandoned, w.recalls, w.queue, w.pending = 0, 0, 0, nil, map[uint64]*call{}
	touched := b.promoteLocked()
	b.notifyLocked()
	b.mu.Unlock()
	for _, t := range touched {
		_ = t.send.flush()
	}
	var lost error
	for _, c := range calls {
		switch {
		case !c.running:
			b.resend(c)
		case !c.ended.Load():
			if lost == nil {
				lost = w.lost()
			}
			c.end(nil, lost)
		}
	}
}

func (b *Backend) readied() {
	b.mu.Lock()
	b.fails = 0
	touched := b.promoteLocked() // the held calls have a worker again
	b.notifyLocked()
	b.mu.Unlock()
	for _, t := range touched {
		_ = t.send.flush()
	}
}

type worker struct {
	b      *Backend
	index  int
	cmd    *exec.Cmd // nil for an attached worker
	name   string    // an attached worker's name
	calls  io.Closer // our end of the call pipe, or the attached stream
	send   *sender
	ready  atomic.Bool            // said hello
	gone   atomic.Bool            // known to be unusable: stop picking it
	killed atomic.Pointer[string] // why the driver killed it
	dead   chan struct{}
	// exitErr is how it ended (exit status 3, signal: killed, EOF), set
	// before dead is closed: the error of its calls in flight says it.
	exitErr error
	// Under b.mu: calls sent and not answered, those waiting, and how many
	// count as running.
	pending   map[uint64]*call
	queue     []*call
	running   int
	abandoned int // running calls whose callers stopped waiting, or whose slot a backup took
	recalls   int // waiting calls asked back for a worker gone idle (recalled)
	lastOut   tailBuffer
	// Liveness (Backend.watch). pings: the worker said in its hello that
	// it answers K frames; written before ready is set. in: what its
	// reader reads, which tells whether bytes came since the watch last
	// looked (on every read, not per frame, so a result taking long to
	// arrive is heard too) and whether a read is under way. silent: how
	// many of the watch's intervals in a row it had calls in flight and
	// sent nothing while its reader listened; the watch's own.
	pings  bool
	in     *heard.Reader
	silent int
	rd     *frameReader
}

// Liveness is the interval of the backend's liveness watch (Options.Liveness
// with its default applied), or a negative duration if the watch is off.
// Attached workers are pinged every interval while it is on: pool/tcp tells
// its workers so, and they take a driver silent for LivenessMisses
// intervals for gone.
func (b *Backend) Liveness() time.Duration { return b.opts.Liveness }

// startWatch starts the liveness watch, unless it is off.
func (b *Backend) startWatch() {
	if b.opts.Liveness == 0 {
		b.opts.Liveness = DefaultLiveness
	}
	if b.opts.Liveness > 0 {
		go b.watch(b.opts.Liveness)
	}
}

// watch looks at the workers once per interval — one wake-up per interval
// for the whole backend, nothing per call — and pings each worker that had
// calls in flight and sent nothing during the whole interval. A worker
// silent so for LivenessMisses intervals in a row (it had at least two to
// answer the ping) is declared lost: killed if it is our child (a stopped
// process never exits by itself), its stream closed if attached (a host
// gone without a reset never closes it). Either way its reader sees it go,
// and its calls fail with driver.ErrWorkerLost, to be retried elsewhere.
// Counting intervals rather than measuring time keeps a driver that was
// itself stopped or starved from blaming its workers: it has to look
// LivenessMisses times. An interval at whose end the worker's reader was
// not reading does not count either: a call's end runs on the reader's
// goroutine, callbacks included, and while one runs the worker's answers
// wait unread.
//
// An attached worker is pinged every interval, idle or busy: across a
// network its host may outlive the driver's unseen (a power cut, a
// partition), and the pings are how it tells (pool/tcp's workers leave
// after LivenessMisses intervals without a byte from the driver). As it
// then answers every interval, one silent for LivenessMisses intervals is
// lost even while idle, and is dropped rather than waiting for a call to
// find it gone (one sent in the meantime is retried as ErrWorkerLost). A
// child process needs neither: a driver that vanishes takes its children
// along, and a busy pool of them exchanges no pings.
func (b *Backend) watch(interval time.Duration) {
	type lostWorker struct {
		w    *worker
		busy bool
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.unwatch:
			return
		case <-t.C:
		}
		var ping, relieved []*worker
		var gens []uint64
		var lost []lostWorker
		b.mu.Lock()
		for _, w := range b.workers {
			if w == nil {
				continue
			}
			// A worker no longer ready (killed, leaving) too: its reader
			// must go on to see it go and end its calls, one of which a
			// callback holding the reader may be waiting for.
			if gen, ok := w.rd.stuck(); ok {
				relieved, gens = append(relieved, w), append(gens, gen)
			}
			if !w.isReady() || !w.pings {
				continue
			}
			heard := w.in.Heard()
			if heard || (len(w.pending) == 0 && !b.attached) {
				w.silent = 0
				if b.attached {
					ping = append(ping, w)
				}
				continue
			}
			if !w.in.Listening() {
				// Nothing heard, but nobody read: the reader is busy on
				// its goroutine (a caller's callback, which runs there, or
				// a write to another worker), and the worker's answers
				// wait unread. Counting this interval killed a healthy
				// worker under a callback that took 3 intervals.
				ping = append(ping, w)
				continue
			}
			w.silent++
			if w.silent >= LivenessMisses {
				lost = append(lost, lostWorker{w, len(w.pending) > 0})
			} else {
				ping = append(ping, w)
			}
		}
		b.mu.Unlock()
		for i, w := range relieved {
			slog.Warn("burst: a callback of a call that ended (Future.OnDone, a call hook) has held up the results of "+w.describe()+
				" for more than the liveness interval; reading them on a new goroutine. A callback must not wait for another call: give such work a goroutine of its own",
				"liveness", interval)
			go w.readFrames(gens[i])
		}
		for _, w := range ping {
			w.send.enqueue(frame{kind: kindPing})
			// Never blocking the watch: a write to a worker that stopped
			// reading may hang until the worker is declared lost.
			go w.send.flush()
		}
		for _, l := range lost {
			busy := ""
			if l.busy {
				busy = " with calls in flight"
			}
			// Closing an attached TLS stream may wait to send its alert.
			go l.w.kill(fmt.Sprintf("it stopped answering: nothing from it for %v%s, pings unanswered (stopped with SIGSTOP, swapped out, or its host unreachable?; liveness=%v)",
				LivenessMisses*interval, busy, interval))
		}
	}
}

func startWorker(b *Backend, i int) (*worker, error) {
	callR, callW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	resR, resW, err := os.Pipe()
	if err != nil {
		callR.Close()
		callW.Close()
		return nil, err
	}
	cmd := exec.Command(b.opts.Command[0], b.opts.Command[1:]...)
	cmd.Env = append(os.Environ(), b.opts.Env...)
	cmd.Env = driver.WithGOMAXPROCS(cmd.Env, max(1, runtime.NumCPU()/b.opts.Workers))
	cmd.Env = append(cmd.Env, envWorker+"="+strconv.Itoa(i), envMaxMessage+"="+strconv.Itoa(b.opts.MaxMessage))
	cmd.Env = append(cmd.Env, envGrace+"="+b.opts.Grace.String())
	var stdout io.Reader
	if b.opts.Transport == transportStdio {
		cmd.Env = append(cmd.Env, envTransport+"="+transportStdio)
		cmd.Stdin, cmd.Stdout = callR, resW
	} else {
		cmd.ExtraFiles = []*os.File{callR, resW}
		stdout, _ = cmd.StdoutPipe()
	}
	cmd.SysProcAttr = sysProcAttr()
	w := &worker{b: b, index: i, cmd: cmd, calls: callW, dead: make(chan struct{}), pending: map[uint64]*call{}}
	prefix := fmt.Sprintf("[worker %d] ", i)
	stderr, _ := cmd.StderrPipe()
	if err := b.spawn.start(cmd); err != nil {
		callR.Close()
		callW.Close()
		resR.Close()
		resW.Close()
		return nil, fmt.Errorf("process: start worker %d (%s): %w", i, b.opts.Command[0], err)
	}
	callR.Close()
	resW.Close()
	var outputs sync.WaitGroup
	if stdout != nil {
		outputs.Go(func() {
			if b.opts.Stdout != nil {
				w.forward(stdout, b.opts.Stdout, "")
			} else {
				w.forward(stdout, b.opts.Output, prefix)
			}
		})
	}
	outputs.Go(func() { w.forward(stderr, b.opts.Output, prefix) })
	_, cw := rawio.Stream(callW)
	rr, _ := rawio.Stream(resR)
	w.send = newSender(cw)
	w.in = &heard.Reader{R: rr}
	w.rd = newFrameReader(w.in, resR, &outputs)
	go w.readFrames(0)
	return w, nil
}

func (w *worker) isReady() bool { return w != nil && w.ready.Load() && !w.gone.Load() }

// forward copies one of the worker's output streams to out, line by line.
func (w *worker) forward(r io.Reader, out io.Writer, prefix string) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			w.lastOut.add(line)
			io.WriteString(out, prefix+line)
		}
		if err != nil {
			return
		}
	}
}

// frameReader is a worker's stream of frames and who reads it. Calls end on
// the reading goroutine, their callbacks included (Backend.Start): a
// callback that waits for another call of the same worker would wait for
// ever, as nobody reads that call's result. The liveness watch therefore
// hands the reading to a new goroutine (a new generation) when a call's end
// has held the reader for a whole interval; the old one leaves once its
// callback returns.
type frameReader struct {
	br      *bufio.Reader
	c       io.Closer
	outputs *sync.WaitGroup

	mu     sync.Mutex
	gen    uint64 // the generation that reads
	ending bool   // it is ending a call (ticks: seen so by the watch)
	ticks  int
}

// newFrameReader reads frames from r; c closes it, and outputs, if set,
// are the worker's output pipes, read to their end when it dies.
func newFrameReader(r io.Reader, c io.Closer, outputs *sync.WaitGroup) *frameReader {
	return &frameReader{br: bufio.NewReaderSize(r, 64<<10), c: c, outputs: outputs}
}

// current reports whether generation gen still reads.
func (rd *frameReader) current(gen uint64) bool {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	return rd.gen == gen
}

// enter and leave bracket generation gen's ending of a call.
func (rd *frameReader) enter(gen uint64) {
	rd.mu.Lock()
	if rd.gen == gen {
		rd.ending, rd.ticks = true, 0
	}
	rd.mu.Unlock()
}

func (rd *frameReader) leave(gen uint64) {
	rd.mu.Lock()
	if rd.gen == gen {
		rd.ending = false
	}
	rd.mu.Unlock()
}

// stuck is the watch's look, once per interval: it reports true, with the
// reading handed to a new generation, when the reader has been ending one
// call since the watch last looked.
func (rd *frameReader) stuck() (gen uint64, ok bool) {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.ending {
		return 0, false
	}
	if rd.ticks++; rd.ticks < 2 {
		return 0, false
	}
	rd.gen++
	rd.ending = false
	return rd.gen, true
}

// readFrames reads w's frames as generation gen, until the stream ends or
// another generation reads (frameReader).
func (w *worker) readFrames(gen uint64) {
	rd := w.rd
	var err error
	for rd.current(gen) {
		var f frame
		f, err = readFrame(rd.br, w.b.opts.MaxMessage)
		var big *errOversize
		if errors.As(err, &big) {
			w.endCall(gen, big.seq, &driver.Response{Version: driver.ProtocolVersion, Error: &driver.WireError{Code: driver.CodeTooLarge,
				Message: fmt.Sprintf("process: result of %d bytes exceeds the message limit of %d bytes", big.size, w.b.opts.MaxMessage)}})
			continue
		}
		if err != nil {
			w.gone.Store(true)
			w.readEnded(err)
			return
		}
		switch f.kind {
		case kindHello:
			var h hello
			_ = json.Unmarshal(f.payload, &h)
			w.pings = h.Ping
			w.ready.Store(true)
			w.b.readied()
		case kindAlive:
			// Answer to a ping: w.in marked the worker heard.
		case kindStarted:
			w.b.settle(w, f.seq, false, false, 0)
		case kindBye:
			w.b.retire(w)
		case kindRefused:
			w.deliver(f.seq, refused)
		case kindResult:
			resp := new(driver.Response)
			out, err := splitEnvelope(f.payload, resp)
			if err != nil {
				resp = &driver.Response{Version: driver.ProtocolVersion, Error: &driver.WireError{Code: driver.CodeProtocol,
					Message: "process: undecodable result envelope: " + err.Error()}}
			}
			resp.Output = out
			w.endCall(gen, f.seq, resp)
		}
	}
}

// endCall delivers the result of call seq as reader generation gen, which
// the watch sees ending a call meanwhile (frameReader).
func (w *worker) endCall(gen, seq uint64, resp *driver.Response) {
	w.rd.enter(gen)
	w.deliver(seq, resp)
	w.rd.leave(gen)
}

// readEnded declares w dead once its stream ended with err, and fails what
// it had in flight.
func (w *worker) readEnded(err error) {
	rd := w.rd
	rd.c.Close()
	w.calls.Close()
	if w.cmd != nil {
		// Wait closes the output pipes: read them to their end first (the
		// last lines explain a worker that died), unless a child of the
		// worker keeps them open.
		read := make(chan struct{})
		go func() { rd.outputs.Wait(); close(read) }()
		select {
		case <-read:
		case <-time.After(time.Second):
		}
		waitErr := w.cmd.Wait()
		if waitErr != nil {
			err = waitErr
		}
	}
	w.exitErr = err // read after <-w.dead
	close(w.dead)
	w.b.died(w, err)
}

// refused is the response of a call the worker handed back unstarted.
var refused = new(driver.Response)

// retire stops sending calls to a worker that said it is leaving, and closes
// its call pipe once the calls already sent are written, which lets it go.
func (b *Backend) retire(w *worker) {
	b.mu.Lock()
	w.gone.Store(true)
	b.mu.Unlock()
	var c io.Closer = w.calls
	if hc, ok := w.calls.(interface{ CloseWrite() error }); ok {
		// One stream both ways (an attached network connection): close
		// only the calls' half, so that the worker's refusals of calls
		// sent before its goodbye arrived still reach us (closing it all
		// lost them: "died with the call in flight"). The worker closes
		// the rest when it leaves.
		c = closeWrite{hc}
	}
	w.send.shut(c)
}

type closeWrite struct {
	c interface{ CloseWrite() error }
}

func (c closeWrite) Close() error { return c.c.CloseWrite() }

func (w *worker) deliver(seq uint64, resp *driver.Response) {
	var took time.Duration
	if resp.Start != 0 && resp.End != 0 {
		took = time.Duration(resp.End - resp.Start)
	}
	c := w.b.settle(w, seq, true, resp == refused, took)
	switch {
	case c == nil:
	case resp == refused:
		w.b.resend(c)
	default:
		c.end(resp, nil)
	}
}

// lost is the error of the calls w was running when it died.
func (w *worker) lost() error {
	why := "died"
	if r := w.killed.Load(); r != nil {
		why = "was killed (" + *r + ")"
	} else if w.exitErr != nil {
		// A function that called os.Exit or panicked in a goroutine: the
		// status and the last lines (the panic's stack) say which, where
		// only the worker's log did.
		return fmt.Errorf("process: %s died (%v) with the call in flight: %w%s", w.describe(), w.exitErr, driver.ErrWorkerLost, w.tail())
	}
	return fmt.Errorf("process: %s %s with the call in flight: %w", w.describe(), why, driver.ErrWorkerLost)
}

// abandon asks the worker to cancel c, whose caller has stopped waiting, and
// stops counting it against the limit: the worker runs other calls beside
// it. The call stays on the books until the worker answers it, since until
// then it may be running; if it is still there after the grace period, the
// function ignores its context and the worker is killed, so that no worker
// is ever lost to a call (its other calls are retried elsewhere).
func (w *worker) abandon(c *call, why string) {
	b := w.b
	b.mu.Lock()
	c.abandoned = true
	if c.running && !c.released && w.pending[c.seq] == c {
		b.releaseLocked(w, c)
	}
	if c.returning {
		// Handed back from a recall as its caller gave up: the slot kept
		// for it is free.
		c.returning = false
		b.returning--
	}
	// A waiting call abandoned may have been the one a free slot waited
	// for (recalled): promoting finds the slot another call.
	touched := b.promoteLocked()
	b.mu.Unlock()
	for _, t := range touched {
		_ = t.send.flush()
	}
	// Queued now, in the order of the abandons, and written by a goroutine,
	// never blocking the caller (a worker that is gone needs no cancel). A
	// goroutine each used to send them: a caller that cancelled a waiting
	// call and then the running one could see the running one's cancel
	// arrive first, and the worker start the waiting call in its place.
	w.send.enqueue(frame{kind: kindCancel, seq: c.seq})
	go w.send.flush()
	grace := w.b.opts.Grace
	time.AfterFunc(grace, func() {
		w.b.mu.Lock()
		stuck := w.pending[c.seq] == c
		w.b.mu.Unlock()
		if stuck {
			w.kill(fmt.Sprintf("a call was still running %v after %s", grace, why))
		}
	})
}

// kill ends the worker at once; its reader then sees it go and replaces it.
func (w *worker) kill(why string) {
	if !w.killed.CompareAndSwap(nil, &why) {
		return
	}
	w.gone.Store(true)
	slog.Warn("burst: killing "+w.describe(), "reason", why)
	if w.cmd == nil {
		// An attached worker is not ours to kill: dropping its stream ends
		// it (Serve cancels its calls and leaves), and the backend forgets it.
		w.calls.Close()
		return
	}
	_ = w.cmd.Process.Kill()
}

// stop closes the call pipe, which ends a healthy worker, and kills it if it
// has not exited after its grace period and some.
func (w *worker) stop() {
	w.calls.Close()
	if w.cmd == nil {
		// Closing the stream ended the reader too.
		<-w.dead
		return
	}
	select {
	case <-w.dead:
	case <-time.After(w.b.opts.Grace + 5*time.Second):
		w.cmd.Process.Kill()
		<-w.dead
	}
}

// describe names the worker in errors.
func (w *worker) describe() string {
	if w.cmd == nil {
		return "worker " + w.name
	}
	return fmt.Sprintf("worker %d (pid %d)", w.index, w.cmd.Process.Pid)
}

func (w *worker) tail() string {
	s := w.lastOut.String()
	if s == "" {
		return ""
	}
	return "; its last output:\n" + s
}

// tailBuffer keeps the last few lines a worker printed, for error messages.
type tailBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > 10 {
		t.lines = t.lines[1:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "")
}
