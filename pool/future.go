package pool

import (
	"context"
	"reflect"
	"sync"
)

// Future is the result of a call started with Func.Go or Func.TryGo.
type Future[Out any] struct {
	done  chan struct{}
	out   Out
	err   error
	stats CallStats

	mu       sync.Mutex
	finished bool               // under mu: the callbacks have been taken
	onDone   []func(Out, error) // under mu
}

// Get waits for the call to finish, or for ctx to end, and returns its result.
func (f *Future[Out]) Get(ctx context.Context) (Out, error) {
	select {
	case <-f.done:
		return f.out, f.err
	default:
	}
	select {
	case <-f.done:
		return f.out, f.err
	case <-ctx.Done():
		var zero Out
		return zero, context.Cause(ctx)
	}
}

// Done is closed when the call has finished.
func (f *Future[Out]) Done() <-chan struct{} { return f.done }

// OnDone arranges for fn to be called with the call's result once the call
// has finished: on the goroutine that finished it, after Done is closed and
// before the call leaves its group (a Group's Wait returns only after fn
// has), or at once on the caller's goroutine if the call has already
// finished. Callbacks run in the order they were registered. fn should be
// quick, like a send to a buffered channel with room, and must never wait
// for another call: on a backend that ends calls on its own goroutines
// (process://, tcp://, slurm://; driver.Starter) fn runs on the goroutine
// that reads a worker's results, whose other results wait for fn (after a
// liveness interval of that, 5 s by default, the backend reads them on a new
// goroutine and logs a warning; with liveness=off nothing does, and an fn
// waiting for a call of the same worker waits for ever). A blocked fn also
// holds up Wait, and a panic in fn is not recovered (as with
// time.AfterFunc). fn may start calls with TryGo, or with Go in a Group
// that has no limit (Go at a Group's limit would wait for calls whose
// results fn holds up). It lets a scheduler hear of each call as it ends,
// and start the next, without a goroutine per call blocked in Get, and, on
// such a backend, with no goroutine readied at all.
func (f *Future[Out]) OnDone(fn func(out Out, err error)) {
	f.mu.Lock()
	if !f.finished {
		f.onDone = append(f.onDone, fn)
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	fn(f.out, f.err)
}

// finish resolves the future: Done is closed, then the OnDone callbacks run.
func (f *Future[Out]) finish() {
	close(f.done)
	f.mu.Lock()
	f.finished = true
	fns := f.onDone
	f.onDone = nil
	f.mu.Unlock()
	for _, fn := range fns {
		fn(f.out, f.err)
	}
}

// Stats describes the call; it is complete once Done is closed.
func (f *Future[Out]) Stats() CallStats {
	select {
	case <-f.done:
		return f.stats
	default:
		return CallStats{}
	}
}

// Wait waits until at least n of futs are done, or ctx ends, and splits
// futs into those done and those still pending, each in their original
// order: n = 1 is "any completed", n = len(futs) "all completed", and a
// quorum lies between. n above len(futs) means all of them. The error is
// ctx's cause when ctx ended first. F is anything with a Done channel, such
// as a *Future.
func Wait[F interface{ Done() <-chan struct{} }](ctx context.Context, futs []F, n int) (done, pending []F, err error) {
	n = min(n, len(futs))
	if n == len(futs) {
		// All of them: wait for each in turn, without building a select.
		for _, f := range futs {
			select {
			case <-f.Done():
			case <-ctx.Done():
				err = context.Cause(ctx)
			}
			if err != nil {
				break
			}
		}
	} else if n > 0 {
		err = waitSome(ctx, futs, n)
	}
	for _, f := range futs {
		select {
		case <-f.Done():
			done = append(done, f)
		default:
			pending = append(pending, f)
		}
	}
	return done, pending, err
}

// waitSome waits until n of futs are done, selecting over those not yet done.
func waitSome[F interface{ Done() <-chan struct{} }](ctx context.Context, futs []F, n int) error {
	var left []F
	for _, f := range futs {
		select {
		case <-f.Done():
			n--
		default:
			left = append(left, f)
		}
	}
	cases := make([]reflect.SelectCase, 0, len(left)+1)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	for _, f := range left {
		cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.Done())})
	}
	for ; n > 0; n-- {
		i, _, _ := reflect.Select(cases)
		if i == 0 {
			return context.Cause(ctx)
		}
		// A closed Done channel stays ready: drop its case.
		cases = append(cases[:i], cases[i+1:]...)
	}
	return nil
}
