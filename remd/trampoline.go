package remd

import "sync"

// A trampoline handles events posted from any goroutine one at a time, in
// the order they were posted, on a goroutine that posted one: no goroutine
// of its own waits for them. The scheduler books each finished segment this
// way on the goroutine that finished it. Handing it to a goroutine of the
// scheduler's own readies that goroutine, and on a driver that shares its
// cores with its workers (process://, slurm://) the runtime then wakes an
// idle OS thread for it, a futex wake and an IPI that take 40–100 µs from a
// worker's MD step, once per segment.
//
// Handling an event may post more (booking a segment starts the next ones,
// and a pool may run a call's OnDone inside Go when the call is already
// done): those wait in the queue and are handled after the current event,
// never inside it, so the handler need not be re-entrant.
type trampoline[E any] struct {
	handle func(E)

	mu       sync.Mutex
	queue    []E
	spare    []E  // the queue's other buffer, so that a steady flow allocates nothing
	draining bool // a goroutine is handling the queue
}

// post hands e to the handler. If no goroutine is handling events, the
// caller becomes the one that does until the queue is empty; otherwise e
// waits in the queue for that goroutine (another, or this one further up
// its stack) and post returns at once. It never waits for another
// goroutine, except for the mutex that guards the queue.
func (t *trampoline[E]) post(e E) {
	t.mu.Lock()
	t.queue = append(t.queue, e)
	if t.draining {
		t.mu.Unlock()
		return
	}
	t.draining = true
	for len(t.queue) > 0 {
		batch := t.queue
		t.queue = t.spare[:0]
		t.mu.Unlock()
		for _, e := range batch {
			t.handle(e)
		}
		clear(batch) // keep no finished segment's outputs alive
		t.mu.Lock()
		t.spare = batch[:0]
	}
	// The queue was found empty in this same hold of the mutex: no event
	// is left behind, and a post from now on handles its own.
	t.draining = false
	t.mu.Unlock()
}
