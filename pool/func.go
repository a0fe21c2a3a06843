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
	name string
	fn   func(context.Context, In) (Out, error)
}

// Name is the name the function was registered under.
func (f *Func[In, Out]) Name() string { return f.name }

// Call runs the function once on p and waits for its result.
func (f *Func[In, Out]) Call(ctx context.Context, p *Pool, in In) (Out, error) {
	out, _, err := f.call(ctx, p, in)
	return out, err
}

// Map calls the function on every input, at most p.Limit() at once (a
// backend that queues holds a few more waiting to start), and returns the
// outputs in input order. The first failure cancels the calls still running
// and is returned; outputs are then nil.
func (f *Func[In, Out]) Map(ctx context.Context, p *Pool, ins []In) ([]Out, error) {
	outs := make([]Out, len(ins))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		first   error
		next    atomic.Int64
		workers = min(p.window(), len(ins))
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
				out, _, err := f.call(ctx, p, ins[i])
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
						cancel(err)
					}
					mu.Unlock()
					continue
				}
				outs[i] = out
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

// Stream calls the function on each input of ins as it is drawn and yields
// the outputs in input order. At most p.Limit() inputs run at once (plus the
// few a queueing backend holds waiting) and the input sequence is never
// materialised, so it may be endless. On the first failure Stream yields the
// zero Out with that error and stops; breaking out of the loop cancels the
// calls in flight.
func (f *Func[In, Out]) Stream(ctx context.Context, p *Pool, ins iter.Seq[In]) iter.Seq2[Out, error] {
	return func(yield func(Out, error) bool) {
		ctx, cancel := context.WithCancelCause(ctx)
		defer cancel(errors.New("pool: stream ended"))
		// A fixed ring of futures: memory stays bounded by the window however
		// long the input is.
		ring := make([]*Future[Out], p.window())
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
				ring[(head+n)%len(ring)] = f.start(ctx, p, in, nil)
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
	if g.sem != nil {
		g.sem <- struct{}{}
	}
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
	return f.start(g.ctx, g.pool, in, func(err error) {
		if g.sem != nil {
			<-g.sem
		}
		if err != nil {
			g.fail(err)
		}
		g.wg.Done()
	})
}

// start runs a call in its own goroutine and returns its future; done, if
// set, runs after the future is resolved.
func (f *Func[In, Out]) start(ctx context.Context, p *Pool, in In, done func(error)) *Future[Out] {
	fut := &Future[Out]{done: make(chan struct{})}
	go func() {
		fut.out, fut.stats, fut.err = f.call(ctx, p, in)
		close(fut.done)
		if done != nil {
			done(fut.err)
		}
	}()
	return fut
}

// call is the one path every call takes: limits, encoding, attempts with
// backoff, decoding, statistics.
func (f *Func[In, Out]) call(ctx context.Context, p *Pool, in In) (out Out, st CallStats, err error) {
	c := p.core
	st = CallStats{Func: f.name, ID: c.nextID.Add(1), Submitted: time.Now()}
	defer func() {
		st.Returned = time.Now()
		c.stats.record(&st, err != nil)
		if p.set.onCall != nil {
			p.set.onCall(st)
		}
		if err != nil {
			err = &CallError{Func: f.name, ID: st.ID, Attempts: st.Attempts, Err: err}
		}
	}()
	if c.closed.Load() {
		return out, st, ErrClosed
	}
	release, err := p.acquire(ctx)
	if err != nil {
		return out, st, err
	}
	defer release()

	var req *driver.Request
	if !c.direct {
		b, err := p.set.codec.Marshal(in)
		if err != nil {
			return out, st, fmt.Errorf("encode input: %w", err)
		}
		st.BytesIn = len(b)
		req = &driver.Request{Version: driver.ProtocolVersion, Func: f.name, Job: c.job, ID: st.ID,
			Codec: p.set.codec.Name(), Input: driver.EncodePayload(p.set.codec, b)}
		if s := p.set.spill; s != nil && len(req.Input) > p.set.spillAt {
			key := driver.SpillKey(c.job, st.ID, 0, "in")
			if err := s.Put(ctx, key, req.Input); err != nil {
				return out, st, fmt.Errorf("spill input to %s: %w", key, err)
			}
			defer s.Delete(context.WithoutCancel(ctx), key)
			req.Input, req.InputRef = nil, key
		}
		if p.set.buildChk {
			req.Build = driver.BuildID()
		}
	}
	bo := &backoff.ExponentialBackOff{InitialInterval: p.set.backoff[0], RandomizationFactor: 0.5,
		Multiplier: 2, MaxInterval: p.set.backoff[1]}
	bo.Reset()
	for {
		st.Attempts++
		if c.direct {
			out, err = f.direct(ctx, p, in, &st)
		} else {
			req.Attempt = st.Attempts
			out, err = f.remote(ctx, p, req, &st)
		}
		if err == nil || !IsRetryable(err) || st.Attempts > p.set.retries || ctx.Err() != nil {
			return out, st, err
		}
		wait := bo.NextBackOff()
		var ra *driver.RetryAfter
		if errors.As(err, &ra) && ra.After > wait {
			wait = ra.After
		}
		c.log.Debug("pool: retrying call", "func", f.name, "id", st.ID, "attempt", st.Attempts, "wait", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return out, st, errors.Join(err, context.Cause(ctx))
		}
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
	out, err := runCaught(ctx, f.fn, in)
	st.Ended = time.Now()
	return out, err
}

func (f *Func[In, Out]) remote(ctx context.Context, p *Pool, req *driver.Request, st *CallStats) (out Out, err error) {
	if p.core.queuer {
		req.Timeout = int64(p.set.timeout) // the backend starts the clock when the call starts
	} else if p.set.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.set.timeout)
		defer cancel()
	}
	if d, ok := ctx.Deadline(); ok {
		req.Deadline = d.UnixNano()
	}
	resp, err := p.core.backend.Invoke(ctx, req)
	if err != nil {
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
