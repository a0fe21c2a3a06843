package pool

import (
	"context"
	"fmt"
	"sync"
)

// A Group is a set of calls on one pool working on subtasks of a common task,
// with the semantics of golang.org/x/sync/errgroup: the first call to fail
// cancels the group's context, with that error as its cause, and Wait returns
// it. Start calls with Func.Go or Func.TryGo.
type Group struct {
	pool   *Pool
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup
	sem    chan struct{}
	once   sync.Once
	err    error
}

// WithContext returns a new Group on p and a derived context, which is
// cancelled the first time a call in the group fails or the first time Wait
// returns, whichever occurs first.
func WithContext(ctx context.Context, p *Pool) (*Group, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &Group{pool: p, ctx: ctx, cancel: cancel}, ctx
}

// Wait blocks until every call started in the group has returned, then
// returns the first error (if any).
func (g *Group) Wait() error {
	g.wg.Wait()
	if g.cancel != nil {
		g.cancel(g.err)
	}
	return g.err
}

// SetLimit limits the number of calls in the group to at most n at once; Go
// blocks until one returns. A negative n means no limit (the pool's own limit
// still holds). As with errgroup, changing the limit while calls are active
// panics.
func (g *Group) SetLimit(n int) {
	if n < 0 {
		g.sem = nil
		return
	}
	if len(g.sem) != 0 {
		panic(fmt.Errorf("pool: modify limit while %v calls in the group are still active", len(g.sem)))
	}
	g.sem = make(chan struct{}, n)
}

func (g *Group) fail(err error) {
	g.once.Do(func() {
		g.err = err
		if g.cancel != nil {
			g.cancel(err)
		}
	})
}
