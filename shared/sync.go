package shared

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Mutex is a lock shared through a Client. A holder keeps it for a lease
// (WithLease, default 30 s); a holder that dies without Unlock frees it when
// the lease ends, and one that needs longer calls Extend.
//
// Each successful Lock gets a fencing token larger than every token before
// it for this Mutex. Because a stalled holder may lose its lease without
// knowing, pass Token to the resource the lock protects and let it refuse
// tokens older than one it has seen.
//
// A Mutex value is a handle: processes each make their own with NewMutex
// and the same name. Unlock through a handle that does not hold the lock
// is an error (ErrNotHeld), unlike sync.Mutex which panics.
type Mutex struct {
	c     *Client
	name  string
	key   string
	lease time.Duration
	err   error

	mu    sync.Mutex
	token int64 // of the current hold through this handle; 0 if none
}

// NewMutex returns a handle on the Mutex called name. Options: WithLease.
func NewMutex(c *Client, name string, opts ...Option) *Mutex {
	o, err := buildOptions(30*time.Second, opts)
	if err != nil {
		err = fmt.Errorf("shared: NewMutex %q: %w", name, err)
	} else {
		err = checkName("NewMutex", name)
	}
	return &Mutex{c: c, name: name, key: c.key('l', name), lease: o.lease, err: err}
}

func (m *Mutex) fail(op string, err error) error {
	return fmt.Errorf("shared: mutex %q %s: %w", m.name, op, err)
}

func (m *Mutex) ready() error {
	if m.err != nil {
		return m.err
	}
	return m.c.check()
}

// Lock waits until the lock is free and takes it, or returns ctx's error.
func (m *Mutex) Lock(ctx context.Context) error {
	if err := m.ready(); err != nil {
		return m.fail("Lock", err)
	}
	var b backoff
	for {
		ok, err := m.try(ctx)
		if err != nil {
			return m.fail("Lock", err)
		}
		if ok {
			return nil
		}
		if err := b.wait(ctx); err != nil {
			return m.fail("Lock", err)
		}
	}
}

// TryLock takes the lock if it is free, without waiting.
func (m *Mutex) TryLock(ctx context.Context) (bool, error) {
	if err := m.ready(); err != nil {
		return false, m.fail("TryLock", err)
	}
	ok, err := m.try(ctx)
	return ok, wrapIf(m.fail, "TryLock", err)
}

func (m *Mutex) try(ctx context.Context) (bool, error) {
	tok, ok, err := m.c.conn.Lock(ctx, m.key, m.lease)
	if err != nil || !ok {
		return false, err
	}
	m.mu.Lock()
	m.token = tok
	m.mu.Unlock()
	return true, nil
}

// Token returns the fencing token of the current hold through this handle,
// or 0 if it holds none.
func (m *Mutex) Token() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token
}

// Unlock releases the lock. It fails with ErrNotHeld if this handle does not
// hold it: never locked, already unlocked, or the lease ended (and someone
// else may hold it now).
func (m *Mutex) Unlock(ctx context.Context) error {
	if err := m.ready(); err != nil {
		return m.fail("Unlock", err)
	}
	m.mu.Lock()
	tok := m.token
	m.mu.Unlock()
	if tok == 0 {
		return m.fail("Unlock", ErrNotHeld)
	}
	ok, err := m.c.conn.Unlock(ctx, m.key, tok)
	if err != nil {
		return m.fail("Unlock", err)
	}
	m.mu.Lock()
	if m.token == tok {
		m.token = 0
	}
	m.mu.Unlock()
	if !ok {
		return m.fail("Unlock", fmt.Errorf("token %d: %w (lease ended)", tok, ErrNotHeld))
	}
	return nil
}

// Extend renews the lease of the current hold for another lease period.
func (m *Mutex) Extend(ctx context.Context) error {
	if err := m.ready(); err != nil {
		return m.fail("Extend", err)
	}
	tok := m.Token()
	if tok == 0 {
		return m.fail("Extend", ErrNotHeld)
	}
	ok, err := m.c.conn.ExtendLock(ctx, m.key, tok, m.lease)
	if err != nil {
		return m.fail("Extend", err)
	}
	if !ok {
		return m.fail("Extend", fmt.Errorf("token %d: %w (lease ended)", tok, ErrNotHeld))
	}
	return nil
}

// Counter is an int64 shared through a Client, like an atomic.Int64.
type Counter struct {
	c    *Client
	name string
	key  string
	err  error
}

// NewCounter returns the Counter called name; it starts at 0.
func NewCounter(c *Client, name string) *Counter {
	return &Counter{c: c, name: name, key: c.key('c', name), err: checkName("NewCounter", name)}
}

func (n *Counter) fail(op string, err error) error {
	return fmt.Errorf("shared: counter %q %s: %w", n.name, op, err)
}

func (n *Counter) ready() error {
	if n.err != nil {
		return n.err
	}
	return n.c.check()
}

// Add adds delta and returns the new value.
func (n *Counter) Add(ctx context.Context, delta int64) (int64, error) {
	if err := n.ready(); err != nil {
		return 0, n.fail("Add", err)
	}
	v, _, err := n.c.conn.CounterAdd(ctx, n.key, delta, false)
	return v, wrapIf(n.fail, "Add", err)
}

// Load returns the current value.
func (n *Counter) Load(ctx context.Context) (int64, error) {
	if err := n.ready(); err != nil {
		return 0, n.fail("Load", err)
	}
	v, err := n.c.conn.CounterLoad(ctx, n.key)
	return v, wrapIf(n.fail, "Load", err)
}

// WaitGroup waits for work spread over processes to finish, like
// sync.WaitGroup: the driver calls Add before handing out work, each worker
// calls Done, and Wait returns when the count is zero.
type WaitGroup struct {
	c    *Client
	name string
	key  string
	err  error
}

// NewWaitGroup returns the WaitGroup called name; its count starts at 0.
func NewWaitGroup(c *Client, name string) *WaitGroup {
	return &WaitGroup{c: c, name: name, key: c.key('w', name), err: checkName("NewWaitGroup", name)}
}

func (w *WaitGroup) fail(op string, err error) error {
	return fmt.Errorf("shared: waitgroup %q %s: %w", w.name, op, err)
}

func (w *WaitGroup) ready() error {
	if w.err != nil {
		return w.err
	}
	return w.c.check()
}

// Add adds delta (which may be negative) to the count. A change that would
// make the count negative is not applied and returns ErrNegative.
func (w *WaitGroup) Add(ctx context.Context, delta int) error {
	if err := w.ready(); err != nil {
		return w.fail("Add", err)
	}
	v, applied, err := w.c.conn.CounterAdd(ctx, w.key, int64(delta), true)
	if err != nil {
		return w.fail("Add", err)
	}
	if !applied {
		return w.fail("Add", fmt.Errorf("count %d%+d: %w", v, delta, ErrNegative))
	}
	return nil
}

// Done decrements the count by one.
func (w *WaitGroup) Done(ctx context.Context) error { return w.Add(ctx, -1) }

// Count returns the current count.
func (w *WaitGroup) Count(ctx context.Context) (int, error) {
	if err := w.ready(); err != nil {
		return 0, w.fail("Count", err)
	}
	v, err := w.c.conn.CounterLoad(ctx, w.key)
	return int(v), wrapIf(w.fail, "Count", err)
}

// Wait returns when the count is zero, or with ctx's error. It polls the
// store, so it notices zero within about 50 ms.
func (w *WaitGroup) Wait(ctx context.Context) error {
	if err := w.ready(); err != nil {
		return w.fail("Wait", err)
	}
	var b backoff
	for {
		v, err := w.c.conn.CounterLoad(ctx, w.key)
		if err != nil {
			return w.fail("Wait", err)
		}
		if v <= 0 {
			return nil
		}
		if err := b.wait(ctx); err != nil {
			return w.fail("Wait", err)
		}
	}
}

// Barrier makes a fixed number of parties, in any processes, wait for each
// other, like Python's threading.Barrier. It is cyclic: once all parties
// have arrived it resets for the next round.
type Barrier struct {
	c       *Client
	name    string
	key     string
	parties int
	err     error
}

// NewBarrier returns the Barrier called name for parties parties. Every
// process must pass the same number (else Wait fails with ErrMismatch).
func NewBarrier(c *Client, name string, parties int) *Barrier {
	err := checkName("NewBarrier", name)
	if err == nil && parties < 1 {
		err = fmt.Errorf("shared: NewBarrier %q: %w: %d parties, want at least 1", name, ErrBadInput, parties)
	}
	return &Barrier{c: c, name: name, key: c.key('b', name), parties: parties, err: err}
}

func (b *Barrier) fail(op string, err error) error {
	return fmt.Errorf("shared: barrier %q %s: %w", b.name, op, err)
}

// Wait arrives at the barrier and returns when all parties of this round
// have arrived. If ctx ends first, the arrival is withdrawn (so the round
// still needs as many parties as before) and ctx's error is returned.
func (b *Barrier) Wait(ctx context.Context) error {
	if b.err != nil {
		return b.err
	}
	if err := b.c.check(); err != nil {
		return b.fail("Wait", err)
	}
	// The arrival must not be cut off by a short deadline after the store
	// counted it but before we learn its generation: we could not withdraw
	// it. So it gets its own bounded context.
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	gen, tripped, err := b.c.conn.BarrierArrive(actx, b.key, b.parties)
	cancel()
	if err != nil {
		return b.fail("Wait", err)
	}
	if tripped {
		return nil
	}
	var bo backoff
	for {
		g, err := b.c.conn.BarrierGeneration(ctx, b.key)
		if err == nil && g != gen {
			return nil
		}
		if err == nil {
			err = bo.wait(ctx)
		}
		if err != nil {
			return b.leave(ctx, gen, err)
		}
	}
}

// leave withdraws an arrival after err (ctx ended, or the store failed) so
// the round still waits for as many parties as before.
func (b *Barrier) leave(ctx context.Context, gen int64, err error) error {
	// A fresh context: ctx is probably done.
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	left, lerr := b.c.conn.BarrierLeave(lctx, b.key, gen)
	if lerr != nil {
		return b.fail("Wait", fmt.Errorf("%w; withdrawing the arrival also failed: %w", err, lerr))
	}
	if !left {
		return nil // the round completed meanwhile
	}
	return b.fail("Wait", err)
}
