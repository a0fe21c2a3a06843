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
	hmu    sync.Mutex
	hedge  map[string]*hedger // per function, for backups
}

// hedger returns the group's hedger for function name, or nil when its
// calls get no backups.
func (g *Group) hedger(name string, idempotent bool) *hedger {
	if !idempotent || g.pool.set.backups.k < 1 || g.pool.core.direct {
		return nil
	}
	g.hmu.Lock()
	defer g.hmu.Unlock()
	h := g.hedge[name]
	if h == nil {
		h = newHedger(g.pool, true)
		if g.hedge == nil {
			g.hedge = map[string]*hedger{}
		}
		g.hedge[name] = h
	}
	return h
}

// WithContext returns a new Group on p and a derived context, which is
// cancelled the first time a call in the group fails or the first time Wait
// returns, whichever occurs first. The context carries p (see FromContext),
// so code below it can call registered functions without being handed p.
func WithContext(ctx context.Context, p *Pool) (*Group, context.Context) {
	ctx, cancel := context.WithCancelCause(NewContext(ctx, p))
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

// enter takes a slot in g's limit for a new member (a call or a GoLocal
// function), blocking while g is at its limit, as errgroup's Go does.
func (g *Group) enter() {
	if g.sem != nil {
		g.sem <- struct{}{}
	}
}

// leave frees the slot of a member that ended with err, and records err as
// the group's if it is the first.
func (g *Group) leave(err error) {
	if g.sem != nil {
		<-g.sem
	}
	if err != nil {
		g.fail(err)
	}
}

func (g *Group) fail(err error) {
	g.once.Do(func() {
		g.err = err
		if g.cancel != nil {
			g.cancel(err)
		}
	})
}
