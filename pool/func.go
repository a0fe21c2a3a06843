package pool

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/burst-dev/burst/pool/driver"
)

// Func is a registered function: a typed handle for calling it on a pool.
// Methods take the pool rather than the pool holding functions, because Go
// methods cannot add type parameters.
type Func[In, Out any] struct {
	name       string
	fn         func(context.Context, In) (Out, error)
	idempotent bool
}

// Name is the name the function was registered under.
func (f *Func[In, Out]) Name() string { return f.name }

// Call runs the function once on p and waits for its result. A nil p means
// the pool in ctx (see NewContext; a Group's context carries its pool).
//
// On local:// (in process) a function that has not returned by the call's
// deadline (ctx's, or the pool's timeout) is left running in its goroutine,
// which cannot be stopped, and Call returns the deadline's error at once;
// Stats.Abandoned counts such calls.
func (f *Func[In, Out]) Call(ctx context.Context, p *Pool, in In) (Out, error) {
	p, err := poolFor(ctx, p, f.name)
	if err != nil {
		var zero Out
		return zero, err
	}
	out, _, err := f.call(ctx, p, in, nil)
	return out, err
}

// Map calls the function on every input, at most p.Limit() at once (a
// backend that queues holds a few more waiting to start), and returns the
// outputs in input order. The first failure cancels the calls still running
// and is returned; outputs are then nil. A nil p means the pool in ctx.
func (f *Func[In, Out]) Map(ctx context.Context, p *Pool, ins []In) ([]Out, error) {
	p, err := poolFor(ctx, p, f.name)
	if err != nil {
		return nil, err
	}
	outs := make([]Out, len(ins))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		next    atomic.Int64
		workers = min(p.window(), len(ins))
		h       = newHedger(p, f.idempotent)
	)
	// A fixed set of feeders, not a goroutine per input: Map of a million
	// inputs must not hold a million goroutines. Each takes the next index
	// itself, so no goroutine hands inputs out and a call costs no extra
	// switch between goroutines.
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(ins) {
					return
				}
				f.callCaught(ctx, p, ins, outs, i, h, func(err error) {
					mu.Lock()
					if first == nil {
						first = err
						cancel(err)
					}
					mu.Unlock()
				})
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := context.Cause(ctx); err != nil && ctx.Err() != nil {
		return nil, err
	}
	return outs, nil
}

// callCaught runs the call of ins[i] for Map, storing its output or passing
// its error to fail. An in-process function that ends the goroutine with
// runtime.Goexit fails the Map too, rather than leaving a feeder silently
// gone and its output zero.
func (f *Func[In, Out]) callCaught(ctx context.Context, p *Pool, ins []In, outs []Out, i int, h *hedger, fail func(error)) {
	returned := false
	defer func() {
		if !returned {
			fail(f.goexitError(i))
		}
	}()
	out, _, err := f.call(ctx, p, ins[i], h)
	returned = true
	if err != nil {
		fail(err)
		return
	}
	outs[i] = out
}

// Stream calls the function on each input of ins as it is drawn and yields
// the outputs in input order. At most p.Limit() inputs run at once (plus the
// few a queueing backend holds waiting) and the input sequence is never
// materialised, so it may be endless. On the first failure Stream yields the
// zero Out with that error and stops; breaking out of the loop cancels the
// calls in flight. A nil p means the pool in ctx.
func (f *Func[In, Out]) Stream(ctx context.Context, p *Pool, ins iter.Seq[In]) iter.Seq2[Out, error] {
	return func(yield func(Out, error) bool) {
		p, err := poolFor(ctx, p, f.name)
		if err != nil {
			var zero Out
			yield(zero, err)
			return
		}
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(errors.New("pool: stream ended"))
		// A fixed ring of futures: memory stays bounded by the window however
		// long the input is.
		ring := make([]*Future[Out], p.window())
		h := newHedger(p, f.idempotent)
		head, n := 0, 0
		next, stop := iter.Pull(ins)
		defer stop()
		more := true
		for more || n > 0 {
			for more && n < len(ring) {
				in, ok := next()
				if !ok {
					more = false
					break
				}
				ring[(head+n)%len(ring)] = f.start(ctx, p, in, h, nil, nil)
				n++
			}
			if n == 0 {
				return
			}
			out, err := ring[head].Get(ctx)
			ring[head] = nil
			head, n = (head+1)%len(ring), n-1
			if err != nil {
				var zero Out
				yield(zero, err)
				return
			}
			if !yield(out, nil) {
				return
			}
		}
	}
}

// Go starts a call in group g and returns its future. Like errgroup's Go it
// blocks while g is at its limit; the call runs with g's context, and its
// failure cancels that context with the error as cause.
func (f *Func[In, Out]) Go(g *Group, in In) *Future[Out] {
	g.enter()
	return f.goGroup(g, in)
}

// TryGo starts a call in g only if g is below its limit, reporting whether it
// did.
func (f *Func[In, Out]) TryGo(g *Group, in In) (*Future[Out], bool) {
	if g.sem != nil {
		select {
		case g.sem <- struct{}{}:
		default:
			return nil, false
		}
	}
	return f.goGroup(g, in), true
}

func (f *Func[In, Out]) goGroup(g *Group, in In) *Future[Out] {
	g.wg.Add(1)
	// g.leave runs before the future is resolved: once Done is closed, the
	// call's slot in the group is free and its error recorded.
	return f.start(g.ctx, g.pool, in, g.hedger(f.name, f.idempotent), g.leave, g.wg.Done)
}

// start starts a call and returns its future; settle, if set, runs with
// the call's error just before the future is resolved, and after just
// after. A call the backend can run with no goroutine waiting for it
// (startAsync) is started so; any other runs in a goroutine of its own.
func (f *Func[In, Out]) start(ctx context.Context, p *Pool, in In, h *hedger, settle func(error), after func()) *Future[Out] {
	fut := &Future[Out]{done: make(chan struct{})}
	resolve := func(out Out, st CallStats, err error) {
		fut.out, fut.stats, fut.err = out, st, err
		if settle != nil {
			settle(err)
		}
		fut.finish()
		if after != nil {
			after()
		}
	}
	if f.startAsync(ctx, p, in, h, resolve) {
		return fut
	}
	go func() {
		returned := false
		defer func() {
			if !returned {
				var zero Out
				resolve(zero, CallStats{}, f.goexitError(-1))
			}
		}()
		out, st, err := f.call(ctx, p, in, h)
		returned = true
		resolve(out, st, err)
	}()
	return fut
}

// startAsync starts the call as call would run it, with no goroutine
// waiting for its result, if the backend can (driver.Starter) and the call
// needs nothing that blocks on the way: a free slot, no payload store. done
// then runs once, on the goroutine that ends the call (the backend's that
// read the result, usually), and it reports true. Each call whose result
// was handed to a goroutine waiting for it readied that goroutine, and
// while the driver had an idle P the runtime woke a thread for it: on a
// host the driver shares with its workers (process://, slurm://) that
// wake-up, an IPI, takes the core from a worker's function, a cost per call
// that remd's segments of a few milliseconds pay in parallel efficiency.
// What rarely happens stays on goroutines: a retry waits its backoff on
// one, and a backup attempt runs on one.
func (f *Func[In, Out]) startAsync(ctx context.Context, p *Pool, in In, h *hedger, done func(Out, CallStats, error)) bool {
	if p.core.starter == nil || p.core.direct || p.set.spill != nil {
		return false
	}
	release, ok := p.tryAcquire()
	if !ok {
		return false
	}
	r, err := f.begin(ctx, p, in, h, release)
	end := func(out Out, err error) {
		out, err = f.end(r, out, err)
		done(out, r.st, err)
	}
	switch {
	case err != nil:
		end(out0[Out](), err)
	case h != nil:
		f.hedgedAsync(ctx, p, h, in, r, end)
	default:
		var n atomic.Int32
		f.attemptsAsync(ctx, p, in, r.req, &r.st, &n, nil, end)
	}
	return true
}

// out0 is the zero Out.
func out0[Out any]() (zero Out) { return zero }

// goexitError is the error of a call whose function, run in process, ended
// the goroutine with runtime.Goexit; i is the input's index, or -1.
func (f *Func[In, Out]) goexitError(i int) error {
	at := ""
	if i >= 0 {
		at = fmt.Sprintf(" (input %d)", i)
	}
	return &CallError{Func: f.name, Err: fmt.Errorf("the function called runtime.Goexit%s instead of returning", at)}
}

// call is the one path every call takes: limits, encoding, attempts with
// backoff, decoding, statistics; with h, backups. startAsync takes the same
// path with no goroutine waiting.
func (f *Func[In, Out]) call(ctx context.Context, p *Pool, in In, h *hedger) (Out, CallStats, error) {
	r, err := f.begin(ctx, p, in, h, nil)
	// An in-process function may end this goroutine with runtime.Goexit:
	// the call still frees its slot and is recorded (the caller reports
	// the Goexit). Without it, the next call at the limit waited for ever.
	returned := false
	defer func() {
		if !returned {
			f.end(r, out0[Out](), errors.New("the function called runtime.Goexit instead of returning"))
		}
	}()
	var out Out
	switch {
	case err != nil:
	case h != nil:
		out, err = f.hedged(ctx, p, h, in, r.req, &r.st, r.release)
	default:
		var n atomic.Int32
		out, err = f.attempts(ctx, p, in, r.req, &r.st, &n, nil)
	}
	returned = true
	out, err = f.end(r, out, err)
	return out, r.st, err
}

// callRun is a call between begin and end.
type callRun struct {
	p       *Pool
	h       *hedger
	st      CallStats
	req     *driver.Request // nil for a call run in process
	release func()          // frees its slot; with h, hedged frees it
	unspill func()          // deletes its spilled input
}

// begin does what a call does before its attempts: its number, its slot
// (release, if set, is one taken already), its request. The error ends the
// call (end).
func (f *Func[In, Out]) begin(ctx context.Context, p *Pool, in In, h *hedger, release func()) (*callRun, error) {
	c := p.core
	r := &callRun{p: p, h: h, st: CallStats{Func: f.name, ID: c.nextID.Add(1), Submitted: time.Now()}}
	if c.closed.Load() {
		if release != nil {
			release()
		}
		return r, ErrClosed
	}
	if release == nil {
		var err error
		if release, err = p.acquire(ctx); err != nil {
			return r, err
		}
	}
	r.release = release
	if c.direct {
		return r, nil
	}
	fail := func(err error) (*callRun, error) {
		if h != nil {
			// Without h, end frees it.
			r.release()
		}
		return r, err
	}
	b, err := p.set.codec.Marshal(&in) // a pointer, so an interface In keeps its static type
	if err != nil {
		return fail(fmt.Errorf("encode input: %w", err))
	}
	r.st.BytesIn = len(b)
	req := &driver.Request{Version: driver.ProtocolVersion, Func: f.name, Job: c.job, ID: r.st.ID,
		Codec: p.set.codec.Name(), Values: p.set.values, Input: driver.EncodePayload(p.set.codec, b)}
	if s := p.set.spill; s != nil && len(req.Input) > p.set.spillAt {
		key := driver.SpillKey(c.job, r.st.ID, 0, "in")
		if err := s.Put(ctx, key, req.Input); err != nil {
			return fail(fmt.Errorf("spill input to %s: %w", key, err))
		}
		r.unspill = func() { s.Delete(context.WithoutCancel(ctx), key) }
		req.Input, req.InputRef = nil, key
	}
	if p.set.buildChk {
		req.Build = driver.BuildID()
	}
	r.req = req
	return r, nil
}

// end does what a call does after its attempts: it frees what begin took,
// records the statistics and names the call in its error.
func (f *Func[In, Out]) end(r *callRun, out Out, err error) (Out, error) {
	if r.unspill != nil {
		r.unspill()
	}
	if r.h == nil && r.release != nil {
		r.release()
	}
	st := &r.st
	st.Returned = time.Now()
	r.p.core.stats.record(st, err != nil)
	if r.p.set.onCall != nil {
		r.p.set.onCall(*st)
	}
	if err != nil {
		err = &CallError{Func: f.name, ID: st.ID, Attempts: st.Attempts, Err: err}
	}
	return out, err
}

// attempts runs a call until it succeeds, fails for good or runs out of
// retries. n numbers the attempts of the call (a backup's chain shares it);
// started, if set, is told when each attempt starts running.
func (f *Func[In, Out]) attempts(ctx context.Context, p *Pool, in In, req *driver.Request, st *CallStats, n *atomic.Int32, started func()) (Out, error) {
	started = f.onStart(p, req, started)
	return f.retrying(ctx, p, in, req, st, n, started, 1, nil)
}

// attemptsAsync is attempts with no goroutine waiting: the first attempt is
// started, and done is called with the outcome; should it need a retry, the
// retries run on a goroutine of their own.
func (f *Func[In, Out]) attemptsAsync(ctx context.Context, p *Pool, in In, req *driver.Request, st *CallStats, n *atomic.Int32, started func(), done func(Out, error)) {
	started = f.onStart(p, req, started)
	f.number(req, st, n, started)
	f.remoteStart(ctx, p, req, st, func(out Out, err error) {
		var bo *backoff.ExponentialBackOff
		wait, again := f.retry(ctx, p, err, 1, &bo, st)
		if !again {
			done(out, err)
			return
		}
		go func() {
			if werr := sleep(ctx, wait); werr != nil {
				done(out, errors.Join(err, werr))
				return
			}
			done(f.retrying(ctx, p, in, req, st, n, started, 2, bo))
		}()
	})
}

// onStart hands started to a Queuer backend, which knows when a waiting
// call starts, and returns what is left for the pool to call.
func (f *Func[In, Out]) onStart(p *Pool, req *driver.Request, started func()) func() {
	if req != nil && p.core.queuer {
		req.OnStart(started)
		return nil
	}
	return started
}

// number numbers the attempt about to start.
func (f *Func[In, Out]) number(req *driver.Request, st *CallStats, n *atomic.Int32, started func()) {
	st.Attempts = int(n.Add(1))
	if started != nil {
		started()
	}
	if req != nil {
		req.Attempt = st.Attempts
	}
}

// retrying runs attempts from the tries-th on, with backoff state bo (nil:
// fresh), until one succeeds, fails for good or the retries run out.
func (f *Func[In, Out]) retrying(ctx context.Context, p *Pool, in In, req *driver.Request, st *CallStats, n *atomic.Int32, started func(), tries int, bo *backoff.ExponentialBackOff) (out Out, err error) {
	for ; ; tries++ {
		f.number(req, st, n, started)
		if p.core.direct {
			out, err = f.direct(ctx, p, in, st)
		} else {
			out, err = f.remote(ctx, p, req, st)
		}
		wait, again := f.retry(ctx, p, err, tries, &bo, st)
		if !again {
			return out, err
		}
		if werr := sleep(ctx, wait); werr != nil {
			return out, errors.Join(err, werr)
		}
	}
}

// retry says whether the tries-th attempt's error err calls for another
// attempt, and after how long.
func (f *Func[In, Out]) retry(ctx context.Context, p *Pool, err error, tries int, bo **backoff.ExponentialBackOff, st *CallStats) (time.Duration, bool) {
	if err == nil || !IsRetryable(err) || tries > p.set.retries || ctx.Err() != nil {
		return 0, false
	}
	if *bo == nil {
		*bo = &backoff.ExponentialBackOff{InitialInterval: p.set.backoff[0], RandomizationFactor: 0.5,
			Multiplier: 2, MaxInterval: p.set.backoff[1]}
		(*bo).Reset()
	}
	wait := (*bo).NextBackOff()
	var ra *driver.RetryAfter
	if errors.As(err, &ra) && ra.After > wait {
		wait = ra.After
	}
	p.core.log.Debug("pool: retrying call", "func", f.name, "id", st.ID, "attempt", st.Attempts, "wait", wait, "err", err)
	return wait, true
}

// sleep waits d, or until ctx ends, which it reports with ctx's cause.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (f *Func[In, Out]) direct(ctx context.Context, p *Pool, in In, st *CallStats) (Out, error) {
	if p.set.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.set.timeout)
		defer cancel()
	}
	st.Started = time.Now()
	st.Worker = "local"
	ctx, err := driver.ApplyContextHooks(ctx, p.set.values)
	if err != nil {
		var zero Out
		return zero, err
	}
	if _, ok := ctx.Deadline(); !ok {
		out, err := runCaught(ctx, f.fn, in)
		st.Ended = time.Now()
		return out, err
	}
	// A goroutine cannot be stopped: to return at the deadline whatever the
	// function does, it runs in a goroutine of its own, left behind if it
	// ignores its context.
	type result struct {
		out Out
		err error
	}
	done := make(chan result, 1)
	go func() {
		returned := false
		defer func() {
			if !returned {
				done <- result{err: errors.New("the function called runtime.Goexit instead of returning")}
			}
		}()
		out, err := runCaught(ctx, f.fn, in)
		returned = true
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		st.Ended = time.Now()
		return r.out, r.err
	case <-ctx.Done():
	}
	// A function that heeds its context returns at once; give it a moment.
	select {
	case r := <-done:
		st.Ended = time.Now()
		return r.out, r.err
	case <-time.After(localGrace):
	}
	st.Ended = time.Now()
	st.Abandoned = true
	var zero Out
	return zero, fmt.Errorf("the function had not returned %v after its context ended and was left running in its goroutine: %w",
		localGrace, context.Cause(ctx))
}

// localGrace is how long an in-process call waits for its function after
// the call's deadline before leaving it behind.
const localGrace = 20 * time.Millisecond

func (f *Func[In, Out]) remote(ctx context.Context, p *Pool, req *driver.Request, st *CallStats) (Out, error) {
	ctx, cancel := f.remoteContext(ctx, p, req)
	defer cancel()
	resp, err := p.core.backend.Invoke(ctx, req)
	return f.result(ctx, p, resp, err, st)
}

// remoteStart is remote with no goroutine waiting: done is called with its
// outcome, on the goroutine that ends the call.
func (f *Func[In, Out]) remoteStart(ctx context.Context, p *Pool, req *driver.Request, st *CallStats, done func(Out, error)) {
	ctx, cancel := f.remoteContext(ctx, p, req)
	p.core.starter.Start(ctx, req, func(resp *driver.Response, err error) {
		finish := func() {
			out, err := f.result(ctx, p, resp, err, st)
			cancel()
			done(out, err)
		}
		if resp != nil && resp.OutputRef != "" {
			// Fetching a spilled result blocks: not on the backend's
			// goroutine, which reads other calls' results.
			go finish()
			return
		}
		finish()
	})
}

// remoteContext prepares an attempt of req: its timeout, which a Queuer
// starts with the call and any other backend with the attempt, and its
// deadline.
func (f *Func[In, Out]) remoteContext(ctx context.Context, p *Pool, req *driver.Request) (context.Context, context.CancelFunc) {
	cancel := context.CancelFunc(func() {})
	if p.core.queuer {
		req.Timeout = int64(p.set.timeout) // the backend starts the clock when the call starts
	} else if p.set.timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, p.set.timeout)
	}
	if !p.core.queuer {
		req.Started() // a backend that is no Queuer starts the call at once
	}
	if d, ok := ctx.Deadline(); ok {
		req.Deadline = d.UnixNano()
	}
	return ctx, cancel
}

// result is the outcome of an attempt that Invoke ended with resp and err.
func (f *Func[In, Out]) result(ctx context.Context, p *Pool, resp *driver.Response, err error, st *CallStats) (out Out, _ error) {
	if err != nil {
		if ctx.Err() != nil {
			cc, ok := p.core.backend.(driver.Canceller)
			st.Abandoned = !ok || !cc.CancelsCalls()
		}
		if ctx.Err() != nil && !IsRetryable(err) {
			return out, errors.Join(err, context.Cause(ctx))
		}
		return out, err
	}
	st.Worker, st.ColdStart = resp.Worker, resp.Cold
	if resp.Start != 0 {
		st.Started, st.Ended = time.Unix(0, resp.Start), time.Unix(0, resp.End)
	}
	if resp.Error != nil {
		return out, fromWire(resp.Error)
	}
	if resp.OutputRef != "" {
		if p.set.spill == nil {
			return out, fmt.Errorf("the worker spilled the result to %s but this pool has no payload store (use pool.WithSpill)", resp.OutputRef)
		}
		data, err := p.set.spill.Get(ctx, resp.OutputRef)
		if err != nil {
			return out, fmt.Errorf("fetch spilled result %s: %w", resp.OutputRef, err)
		}
		p.set.spill.Delete(context.WithoutCancel(ctx), resp.OutputRef)
		resp.Output = data
	}
	b, err := driver.DecodePayload(p.set.codec, resp.Output)
	if err != nil {
		return out, fmt.Errorf("decode output: %w", err)
	}
	st.BytesOut = len(b)
	if err := p.set.codec.Unmarshal(b, &out); err != nil {
		return out, fmt.Errorf("decode output: %w", err)
	}
	return out, nil
}
