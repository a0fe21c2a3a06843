// Package mem is the in-process shared-state driver, for programs whose
// functions all run in one process (the local:// pool).
//
// Every Open of the same URL in a process reaches the same store: mem:// is
// the default store and mem://name a separate one, so a driver and the
// functions it runs in-process see each other's state just as they would
// through Redis. Package shared registers the scheme itself; importing this
// package is only needed to call Open directly.
package mem

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/burst-dev/burst/shared/driver"
)

// Scheme is the URL scheme this driver serves.
const Scheme = "mem"

// stores holds one Store per name for the life of the process; it is the
// in-memory equivalent of a server that outlives its clients.
var (
	storesMu sync.Mutex
	stores   = map[string]*store{}
)

// Open returns a connection to the process-wide store named by u's host
// (empty for the default store). Paths and query parameters are refused,
// so a typo does not silently open a different store.
func Open(_ context.Context, u *url.URL) (driver.Conn, error) {
	if u.Scheme != Scheme {
		return nil, fmt.Errorf("mem: URL scheme %q, want %q", u.Scheme, Scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil || u.Port() != "" {
		return nil, fmt.Errorf("mem: URL %q: want mem:// or mem://name (no path, port, user or query other than namespace)", u.Redacted())
	}
	storesMu.Lock()
	defer storesMu.Unlock()
	s := stores[u.Host]
	if s == nil {
		s = newStore()
		stores[u.Host] = s
	}
	return &conn{s: s, name: "mem://" + u.Host}, nil
}

type taken struct {
	val      []byte
	deadline time.Time
}

type queue struct {
	items [][]byte // oldest first
	taken map[string]*taken
	seq   uint64
}

type lock struct {
	token    int64
	deadline time.Time
}

type barrier struct {
	parties, count int
	gen            int64
}

type store struct {
	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever a queue gains items
	hashes   map[string]map[string][]byte
	queues   map[string]*queue
	locks    map[string]*lock
	fences   map[string]int64
	counters map[string]int64
	barriers map[string]*barrier
}

func newStore() *store {
	return &store{
		changed:  make(chan struct{}),
		hashes:   map[string]map[string][]byte{},
		queues:   map[string]*queue{},
		locks:    map[string]*lock{},
		fences:   map[string]int64{},
		counters: map[string]int64{},
		barriers: map[string]*barrier{},
	}
}

type conn struct {
	s    *store
	name string
}

// clone keeps callers from sharing backing arrays with the store, as a
// network store would never do.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func (c *conn) hash(key string, create bool) map[string][]byte {
	h := c.s.hashes[key]
	if h == nil && create {
		h = map[string][]byte{}
		c.s.hashes[key] = h
	}
	return h
}

func (c *conn) MapLoad(_ context.Context, key, field string) ([]byte, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	v, ok := c.hash(key, false)[field]
	return clone(v), ok, nil
}

func (c *conn) MapLoadMany(_ context.Context, key string, fields []string) ([][]byte, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, false)
	out := make([][]byte, len(fields))
	for i, f := range fields {
		out[i] = clone(h[f])
	}
	return out, nil
}

func (c *conn) MapStore(_ context.Context, key string, fields []string, vals [][]byte) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, true)
	for i, f := range fields {
		h[f] = clone(vals[i])
	}
	return nil
}

func (c *conn) MapLoadOrStore(_ context.Context, key, field string, val []byte) ([]byte, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, true)
	if v, ok := h[field]; ok {
		return clone(v), true, nil
	}
	h[field] = clone(val)
	return clone(val), false, nil
}

func (c *conn) MapSwap(_ context.Context, key, field string, val []byte) ([]byte, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, true)
	prev, ok := h[field]
	h[field] = clone(val)
	return prev, ok, nil
}

func (c *conn) MapLoadAndDelete(_ context.Context, key, field string) ([]byte, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, false)
	prev, ok := h[field]
	delete(h, field)
	c.dropEmpty(key)
	return prev, ok, nil
}

func (c *conn) dropEmpty(key string) {
	if h, ok := c.s.hashes[key]; ok && len(h) == 0 {
		delete(c.s.hashes, key)
	}
}

func (c *conn) MapDelete(_ context.Context, key string, fields []string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, false)
	for _, f := range fields {
		delete(h, f)
	}
	c.dropEmpty(key)
	return nil
}

func (c *conn) MapCompareAndSwap(_ context.Context, key, field string, old, new []byte) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, false)
	if v, ok := h[field]; !ok || !bytes.Equal(v, old) {
		return false, nil
	}
	h[field] = clone(new)
	return true, nil
}

func (c *conn) MapCompareAndDelete(_ context.Context, key, field string, old []byte) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, false)
	if v, ok := h[field]; !ok || !bytes.Equal(v, old) {
		return false, nil
	}
	delete(h, field)
	c.dropEmpty(key)
	return true, nil
}

// MapScan returns every field, sorted, in one batch: the map is in memory
// already, and a positional cursor would skip fields when others are
// deleted between calls.
func (c *conn) MapScan(_ context.Context, key string, _ uint64, _ int) ([]string, [][]byte, uint64, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	h := c.hash(key, false)
	fields := make([]string, 0, len(h))
	for f := range h {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	vals := make([][]byte, len(fields))
	for i, f := range fields {
		vals[i] = clone(h[f])
	}
	return fields, vals, 0, nil
}

func (c *conn) MapLen(_ context.Context, key string) (int, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return len(c.hash(key, false)), nil
}

func (c *conn) queue(key string) *queue {
	q := c.s.queues[key]
	if q == nil {
		q = &queue{taken: map[string]*taken{}}
		c.s.queues[key] = q
	}
	return q
}

// notify wakes every waiter; must hold mu.
func (c *conn) notify() {
	close(c.s.changed)
	c.s.changed = make(chan struct{})
}

func (c *conn) QueuePut(_ context.Context, key string, vals [][]byte) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	q := c.queue(key)
	for _, v := range vals {
		q.items = append(q.items, clone(v))
	}
	c.notify()
	return nil
}

// wait blocks until a queue gains items, t fires or ctx ends (false for
// the last two); it is called with mu held and returns with it held.
func (c *conn) wait(ctx context.Context, t *time.Timer) bool {
	ch := c.s.changed
	c.s.mu.Unlock()
	defer c.s.mu.Lock()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	case <-ctx.Done():
		return false
	}
}

func (c *conn) QueueGet(ctx context.Context, key string, wait time.Duration) ([]byte, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	var t *time.Timer
	for {
		q := c.queue(key)
		if len(q.items) > 0 {
			v := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			return v, true, nil
		}
		if wait <= 0 {
			return nil, false, nil
		}
		if t == nil {
			t = time.NewTimer(wait)
			defer t.Stop()
		}
		if !c.wait(ctx, t) {
			wait = 0
		}
	}
}

// requeue returns expired leases to the front of the queue, oldest
// deadline first so they keep their relative order.
func (c *conn) requeue(q *queue, now time.Time) {
	var exp []string
	for tok, it := range q.taken {
		if !it.deadline.After(now) {
			exp = append(exp, tok)
		}
	}
	if len(exp) == 0 {
		return
	}
	sort.Slice(exp, func(i, j int) bool {
		a, b := q.taken[exp[i]].deadline, q.taken[exp[j]].deadline
		if a.Equal(b) {
			return exp[i] < exp[j]
		}
		return a.Before(b)
	})
	front := make([][]byte, 0, len(exp)+len(q.items))
	for _, tok := range exp {
		front = append(front, q.taken[tok].val)
		delete(q.taken, tok)
	}
	q.items = append(front, q.items...)
}

func (c *conn) QueueTake(ctx context.Context, key, ack string, lease, wait time.Duration) (string, []byte, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if ack != "" {
		q := c.queue(key)
		if _, ok := q.taken[ack]; !ok {
			return "", nil, false, fmt.Errorf("%s: token %s: %w", c.name, ack, driver.ErrLeaseExpired)
		}
		delete(q.taken, ack)
	}
	var t *time.Timer
	for {
		q := c.queue(key)
		now := time.Now()
		c.requeue(q, now)
		if len(q.items) > 0 {
			v := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			q.seq++
			tok := strconv.FormatUint(q.seq, 10)
			q.taken[tok] = &taken{val: v, deadline: now.Add(lease)}
			return tok, clone(v), true, nil
		}
		if wait <= 0 {
			return "", nil, false, nil
		}
		if t == nil {
			t = time.NewTimer(wait)
			defer t.Stop()
		}
		if !c.wait(ctx, t) {
			wait = 0
		}
	}
}

func (c *conn) QueueAck(_ context.Context, key, token string) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	q := c.queue(key)
	if _, ok := q.taken[token]; !ok {
		return false, nil
	}
	delete(q.taken, token)
	return true, nil
}

func (c *conn) QueueExtend(_ context.Context, key, token string, lease time.Duration) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	it, ok := c.queue(key).taken[token]
	if !ok {
		return false, nil
	}
	it.deadline = time.Now().Add(lease)
	return true, nil
}

func (c *conn) QueueRelease(_ context.Context, key, token string) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	q := c.queue(key)
	it, ok := q.taken[token]
	if !ok {
		return false, nil
	}
	delete(q.taken, token)
	q.items = append([][]byte{it.val}, q.items...)
	c.notify()
	return true, nil
}

func (c *conn) QueueLen(_ context.Context, key string) (int, int, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	q := c.queue(key)
	c.requeue(q, time.Now())
	return len(q.items), len(q.taken), nil
}

func (c *conn) Lock(_ context.Context, key string, lease time.Duration) (int64, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	now := time.Now()
	if l := c.s.locks[key]; l != nil && l.deadline.After(now) {
		return 0, false, nil
	}
	c.s.fences[key]++
	tok := c.s.fences[key]
	c.s.locks[key] = &lock{token: tok, deadline: now.Add(lease)}
	return tok, true, nil
}

func (c *conn) held(key string, token int64) *lock {
	l := c.s.locks[key]
	if l == nil || l.token != token || !l.deadline.After(time.Now()) {
		return nil
	}
	return l
}

func (c *conn) Unlock(_ context.Context, key string, token int64) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.held(key, token) == nil {
		return false, nil
	}
	delete(c.s.locks, key)
	return true, nil
}

func (c *conn) ExtendLock(_ context.Context, key string, token int64, lease time.Duration) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	l := c.held(key, token)
	if l == nil {
		return false, nil
	}
	l.deadline = time.Now().Add(lease)
	return true, nil
}

func (c *conn) CounterAdd(_ context.Context, key string, delta int64, nonNegative bool) (int64, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	v := c.s.counters[key] + delta
	if nonNegative && v < 0 {
		return c.s.counters[key], false, nil
	}
	c.s.counters[key] = v
	return v, true, nil
}

func (c *conn) CounterLoad(_ context.Context, key string) (int64, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.s.counters[key], nil
}

func (c *conn) BarrierArrive(_ context.Context, key string, parties int) (int64, bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	b := c.s.barriers[key]
	if b == nil {
		b = &barrier{parties: parties}
		c.s.barriers[key] = b
	}
	if b.parties != parties {
		return 0, false, fmt.Errorf("barrier has %d parties, not %d: %w", b.parties, parties, driver.ErrMismatch)
	}
	gen := b.gen
	b.count++
	if b.count >= b.parties {
		b.count = 0
		b.gen++
		return gen, true, nil
	}
	return gen, false, nil
}

func (c *conn) BarrierGeneration(_ context.Context, key string) (int64, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if b := c.s.barriers[key]; b != nil {
		return b.gen, nil
	}
	return 0, nil
}

func (c *conn) BarrierLeave(_ context.Context, key string, gen int64) (bool, error) {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	b := c.s.barriers[key]
	if b == nil || b.gen != gen {
		return false, nil
	}
	if b.count > 0 {
		b.count--
	}
	return true, nil
}

func (c *conn) Delete(_ context.Context, keys ...string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	for _, k := range keys {
		c.deleteLocked(func(s string) bool { return s == k })
	}
	return nil
}

func (c *conn) DropPrefix(_ context.Context, prefix string) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	match := func(s string) bool { return strings.HasPrefix(s, prefix) }
	c.deleteLocked(match)
	// A dropped namespace is gone for good, counters included.
	for k := range c.s.queues {
		if match(k) {
			delete(c.s.queues, k)
		}
	}
	for k := range c.s.fences {
		if match(k) {
			delete(c.s.fences, k)
		}
	}
	return nil
}

func (c *conn) deleteLocked(match func(string) bool) {
	for k := range c.s.hashes {
		if match(k) {
			delete(c.s.hashes, k)
		}
	}
	for k, q := range c.s.queues {
		if match(k) {
			// Keep seq, so a token from before the delete never names
			// an item taken after it.
			q.items, q.taken = nil, map[string]*taken{}
		}
	}
	for k := range c.s.locks {
		if match(k) {
			delete(c.s.locks, k)
		}
	}
	for k := range c.s.counters {
		if match(k) {
			delete(c.s.counters, k)
		}
	}
	for k := range c.s.barriers {
		if match(k) {
			delete(c.s.barriers, k)
		}
	}
}

func (c *conn) Addr() string { return c.name }
func (c *conn) As(any) bool  { return false }
func (c *conn) Close() error { return nil }
