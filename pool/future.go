package pool

import (
	"context"
	"fmt"
	"reflect"
)

// Future is the result of a call started with Func.Go or Func.TryGo.
type Future[Out any] struct {
	done  chan struct{}
	out   Out
	err   error
	stats CallStats
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

// Stats describes the call; it is complete once Done is closed.
func (f *Future[Out]) Stats() CallStats {
	select {
	case <-f.done:
		return f.stats
	default:
		return CallStats{}
	}
}

// WaitMode says when Wait returns.
type WaitMode int

const (
	// AllCompleted waits until every future is done.
	AllCompleted WaitMode = iota
	// AnyCompleted waits until at least one future is done.
	AnyCompleted
)

// Waitable is anything with a Done channel, such as a *Future.
type Waitable interface{ Done() <-chan struct{} }

// Wait waits until the futures meet mode, or ctx ends, and splits them into
// those done and those still pending, each in their original order. The error
// is ctx's cause when ctx ended first.
func Wait[F Waitable](ctx context.Context, futs []F, mode WaitMode) (done, pending []F, err error) {
	switch mode {
	case AllCompleted:
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
	case AnyCompleted:
		if len(futs) > 0 && !anyDone(futs) {
			cases := make([]reflect.SelectCase, 0, len(futs)+1)
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
			for _, f := range futs {
				cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(f.Done())})
			}
			if i, _, _ := reflect.Select(cases); i == 0 {
				err = context.Cause(ctx)
			}
		}
	default:
		return nil, nil, fmt.Errorf("pool: Wait: unknown mode %d (want AllCompleted or AnyCompleted)", mode)
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

func anyDone[F Waitable](futs []F) bool {
	for _, f := range futs {
		select {
		case <-f.Done():
			return true
		default:
		}
	}
	return false
}
