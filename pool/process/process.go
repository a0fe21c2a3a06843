// Package process is the pool backend that runs calls in child processes of
// the driver's own binary: real process isolation and real encoding, on one
// machine, with no cloud account. Importing it registers the "process" scheme:
//
//	p, err := pool.Open(ctx, "process://?workers=4")
//
// Each worker takes many calls at once over a pair of pipes (fds 3 and 4 of
// the child, so a function printing to stdout cannot corrupt the protocol);
// its stdout and stderr are forwarded line by line with a "[worker N]"
// prefix. A worker that dies is replaced, and the calls it had in flight fail
// with pool.ErrWorkerLost, which the pool retries on another worker, so every
// call still returns exactly one result. Cancelling a call's context cancels
// the function's context in the worker.
package process

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool"
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
	// Env is added to the workers' environment.
	Env []string
	// Output receives the workers' stdout and stderr, line by line with a
	// worker prefix (default os.Stderr).
	Output io.Writer
	// Command is the worker command line (default: this executable).
	Command []string
}

func init() {
	pool.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (pool.Backend, error) {
		if err := pool.UnknownParams(u, "workers", "per_worker", "max_message"); err != nil {
			return nil, err
		}
		var o Options
		for key, dst := range map[string]*int{"workers": &o.Workers, "per_worker": &o.PerWorker, "max_message": &o.MaxMessage} {
			if v := u.Query().Get(key); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 {
					return nil, fmt.Errorf("process: parameter %s=%q: want a whole number ≥ 1", key, v)
				}
				*dst = n
			}
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
}

// New starts the workers and waits until they are ready.
func New(ctx context.Context, o Options) (*Backend, error) {
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
	if len(o.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("process: find own executable: %w", err)
		}
		o.Command = []string{exe}
		if strings.HasSuffix(exe, ".test") {
			// A test binary whose TestMain forgot pool.Main must not run the
			// tests again in every worker.
			o.Command = append(o.Command, "-test.run=^$", "-test.bench=^$", "-test.fuzz=^$")
		}
	}
	b := &Backend{opts: o, workers: make([]*worker, o.Workers), changed: make(chan struct{})}
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

// Limit is Workers × PerWorker.
func (b *Backend) Limit() int { return b.opts.Workers * b.opts.PerWorker }

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
		if w != nil && w.cmd.Process != nil {
			ws = append(ws, WorkerStatus{Index: w.index, PID: w.cmd.Process.Pid, Ready: w.isReady(), InFlight: int(w.inflight.Load())})
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
		if w != nil && w.cmd.Process != nil {
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
	ws := append([]*worker(nil), b.workers...)
	b.mu.Unlock()
	for _, w := range ws {
		if w != nil {
			w.stop()
		}
	}
	return nil
}

// Invoke sends req to the least busy ready worker and waits for its answer.
func (b *Backend) Invoke(ctx context.Context, req *pool.Request) (*pool.Response, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("process: encode call: %w", err)
	}
	if len(payload) > b.opts.MaxMessage {
		return nil, fmt.Errorf("process: call of %d bytes exceeds the message limit of %d bytes (raise process://?max_message=): %w",
			len(payload), b.opts.MaxMessage, pool.ErrTooLarge)
	}
	w, err := b.pick(ctx)
	if err != nil {
		return nil, err
	}
	return w.invoke(ctx, b.seq.Add(1), payload)
}

func (b *Backend) pick(ctx context.Context) (*worker, error) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return nil, pool.ErrClosed
		}
		if b.fails >= maxStartFailures {
			err := b.lastErr
			b.mu.Unlock()
			return nil, err
		}
		var best *worker
		for _, w := range b.workers {
			if w.isReady() && (best == nil || w.inflight.Load() < best.inflight.Load()) {
				best = w
			}
		}
		ch := b.changed
		b.mu.Unlock()
		if best != nil {
			return best, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

func (b *Backend) notifyLocked() {
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
	defer b.mu.Unlock()
	switch {
	case b.closed:
	case !w.ready.Load():
		b.fails++
		b.lastErr = fmt.Errorf("process: worker %d exited before it was ready (did main, or TestMain, call pool.Main() first?): %v%s",
			w.index, err, w.tail())
	default:
		slog.Warn("burst: process worker lost; starting a replacement", "worker", w.index, "pid", w.cmd.Process.Pid, "err", err)
	}
	if !b.closed && b.workers[w.index] == w && b.fails < maxStartFailures {
		b.spawnLocked(w.index)
	}
	b.notifyLocked()
}

func (b *Backend) readied() {
	b.mu.Lock()
	b.fails = 0
	b.notifyLocked()
	b.mu.Unlock()
}

type worker struct {
	b        *Backend
	index    int
	cmd      *exec.Cmd
	calls    *os.File // our end of the call pipe
	send     *sender
	ready    atomic.Bool // said hello
	gone     atomic.Bool // known to be unusable: stop picking it
	dead     chan struct{}
	inflight atomic.Int64
	mu       sync.Mutex
	pending  map[uint64]chan *pool.Response
	lastOut  tailBuffer
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
	cmd.Env = append(cmd.Env, envWorker+"="+strconv.Itoa(i), envMaxMessage+"="+strconv.Itoa(b.opts.MaxMessage))
	cmd.ExtraFiles = []*os.File{callR, resW}
	w := &worker{b: b, index: i, cmd: cmd, calls: callW, dead: make(chan struct{}), pending: map[uint64]chan *pool.Response{}}
	prefix := fmt.Sprintf("[worker %d] ", i)
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		callR.Close()
		callW.Close()
		resR.Close()
		resW.Close()
		return nil, fmt.Errorf("process: start worker %d (%s): %w", i, b.opts.Command[0], err)
	}
	callR.Close()
	resW.Close()
	var outputs sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		outputs.Go(func() { w.forward(r, prefix) })
	}
	w.send = newSender(callW)
	go w.read(resR, &outputs)
	return w, nil
}

func (w *worker) isReady() bool { return w != nil && w.ready.Load() && !w.gone.Load() }

// forward copies one of the worker's output streams, line by line.
func (w *worker) forward(r io.Reader, prefix string) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if line != "" {
			if !strings.HasSuffix(line, "\n") {
				line += "\n"
			}
			w.lastOut.add(line)
			io.WriteString(w.b.opts.Output, prefix+line)
		}
		if err != nil {
			return
		}
	}
}

// read delivers results until the worker's result pipe closes, then declares
// the worker dead and fails what it had in flight.
func (w *worker) read(r *os.File, outputs *sync.WaitGroup) {
	br := bufio.NewReaderSize(r, 64<<10)
	var err error
	for {
		var f frame
		f, err = readFrame(br, w.b.opts.MaxMessage)
		var big *errOversize
		if errors.As(err, &big) {
			w.deliver(big.seq, &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeTooLarge,
				Message: fmt.Sprintf("process: result of %d bytes exceeds the message limit of %d bytes", big.size, w.b.opts.MaxMessage)}})
			continue
		}
		if err != nil {
			w.gone.Store(true)
			break
		}
		switch f.kind {
		case kindHello:
			var h hello
			_ = json.Unmarshal(f.payload, &h)
			w.ready.Store(true)
			w.b.readied()
		case kindResult:
			resp := new(pool.Response)
			if err := json.Unmarshal(f.payload, resp); err != nil {
				resp = &pool.Response{Version: pool.ProtocolVersion, Error: &pool.WireError{Code: pool.CodeProtocol,
					Message: "process: undecodable result envelope: " + err.Error()}}
			}
			w.deliver(f.seq, resp)
		}
	}
	r.Close()
	w.calls.Close()
	waitErr := w.cmd.Wait()
	outputs.Wait()
	if waitErr != nil {
		err = waitErr
	}
	close(w.dead)
	w.b.died(w, err)
}

func (w *worker) deliver(seq uint64, resp *pool.Response) {
	w.mu.Lock()
	ch := w.pending[seq]
	delete(w.pending, seq)
	w.mu.Unlock()
	if ch != nil {
		ch <- resp
	}
}

func (w *worker) invoke(ctx context.Context, seq uint64, payload []byte) (*pool.Response, error) {
	ch := make(chan *pool.Response, 1)
	w.mu.Lock()
	w.pending[seq] = ch
	w.mu.Unlock()
	w.inflight.Add(1)
	defer w.inflight.Add(-1)
	lost := func() error {
		return fmt.Errorf("process: worker %d (pid %d) died with the call in flight: %w", w.index, w.cmd.Process.Pid, pool.ErrWorkerLost)
	}
	if err := w.send.send(frame{kind: kindCall, seq: seq, payload: payload}); err != nil {
		w.forget(seq)
		w.gone.Store(true) // the pipe is broken: the worker is dying
		return nil, lost()
	}
	select {
	case resp := <-ch:
		return resp, nil
	case <-w.dead:
		select {
		case resp := <-ch:
			return resp, nil
		default:
			return nil, lost()
		}
	case <-ctx.Done():
		w.forget(seq)
		// Best effort: a worker that is gone needs no cancel.
		go w.send.send(frame{kind: kindCancel, seq: seq})
		return nil, context.Cause(ctx)
	}
}

func (w *worker) forget(seq uint64) {
	w.mu.Lock()
	delete(w.pending, seq)
	w.mu.Unlock()
}

// stop closes the call pipe, which ends a healthy worker, and kills it if it
// has not exited after a grace period.
func (w *worker) stop() {
	w.calls.Close()
	select {
	case <-w.dead:
	case <-time.After(5 * time.Second):
		w.cmd.Process.Kill()
		<-w.dead
	}
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
