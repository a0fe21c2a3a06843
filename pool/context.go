package pool

import (
	"context"
	"fmt"
)

type poolKey struct{}

// NewContext returns a copy of ctx that carries p, so that functions deep in
// a program can make calls with Call(ctx, nil, in) instead of having p passed
// through every layer, as a context carries a deadline.
func NewContext(ctx context.Context, p *Pool) context.Context {
	return context.WithValue(ctx, poolKey{}, p)
}

// FromContext returns the pool ctx carries, or nil.
func FromContext(ctx context.Context) *Pool {
	p, _ := ctx.Value(poolKey{}).(*Pool)
	return p
}

func poolFor(ctx context.Context, p *Pool, name string) (*Pool, error) {
	if p != nil {
		return p, nil
	}
	if p = FromContext(ctx); p != nil {
		return p, nil
	}
	return nil, fmt.Errorf("call %s: %w: pass one, or a context from pool.WithContext or pool.NewContext", name, ErrNoPool)
}

// GoLocal runs fn in this process, in its own goroutine, as a member of g:
// the local stages of a pipeline (a walker feeding paths, a collector
// draining results) beside the remote calls, with one error and one
// cancellation for all. fn gets g's context; its error, like a failed call's,
// cancels that context with the error as cause, and Wait waits for fn and
// returns the first error of either kind. As errgroup's Go, GoLocal blocks
// while g is at its limit, and fn counts against it while it runs.
func (g *Group) GoLocal(fn func(ctx context.Context) error) {
	g.enter()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.leave(fn(g.ctx))
	}()
}
