package shared

import (
	"context"
	"fmt"
	"reflect"
	"time"
)

// Queue is a FIFO queue shared through a Client, a channel between
// processes. It has two ways to receive:
//
//   - Get removes an item: simplest and fastest, but an item taken by a
//     consumer that dies before using it is gone.
//   - Take hands out an item under a lease; the consumer calls Item.Ack
//     when done. An item whose lease ends before Ack (its consumer died or
//     stalled) goes back to the front of the queue for another consumer.
//     Each item is held by at most one live lease at a time.
//
// Both block until an item arrives or the context ends, and honour
// deadlines shorter than a second.
type Queue[T any] struct {
	c    *Client
	name string
	key  string
	opt  options
	err  error
}

// NewQueue returns the Queue called name in c's namespace. Options:
// WithCodec, WithLease (for Take; default 1 min).
func NewQueue[T any](c *Client, name string, opts ...Option) *Queue[T] {
	o, err := buildOptions(time.Minute, opts)
	if err != nil {
		err = fmt.Errorf("shared: NewQueue %q: %w", name, err)
	} else {
		err = checkName("NewQueue", name)
	}
	return &Queue[T]{c: c, name: name, key: c.key('q', name), opt: o, err: err}
}

func (q *Queue[T]) fail(op string, err error) error {
	return fmt.Errorf("shared: queue %q %s: %w", q.name, op, err)
}

func (q *Queue[T]) ready() error {
	if q.err != nil {
		return q.err
	}
	return q.c.check()
}

// Put appends v to the queue.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	return q.PutMany(ctx, v)
}

// PutMany appends vs in order, in one round trip and atomically.
func (q *Queue[T]) PutMany(ctx context.Context, vs ...T) error {
	if err := q.ready(); err != nil {
		return q.fail("Put", err)
	}
	if len(vs) == 0 {
		return nil
	}
	bs := make([][]byte, len(vs))
	for i, v := range vs {
		b, err := q.opt.codec.Marshal(&v) // a pointer, so an interface T keeps its static type
		if err != nil {
			return q.fail("Put", fmt.Errorf("%w: %w", ErrBadInput, err))
		}
		if b == nil {
			b = []byte{}
		}
		bs[i] = b
	}
	return wrapIf(q.fail, "Put", q.c.conn.QueuePut(ctx, q.key, bs))
}

func (q *Queue[T]) decode(b []byte) (T, error) {
	var v T
	if err := q.opt.codec.Unmarshal(b, &v); err != nil {
		return v, &DecodeError{Object: fmt.Sprintf("queue %q", q.name), Codec: q.opt.codec.Name(),
			Type: reflect.TypeFor[T]().String(), Raw: b, Err: err}
	}
	return v, nil
}

// maxBlock bounds one blocking request to the store, so that a cancelled
// context (which a network driver only notices between requests) is noticed
// within this time, and expired leases are returned to the queue.
const maxBlock = 200 * time.Millisecond

// deadlineMargin ends a blocking request that long before the context's
// deadline, and after that the store is polled without blocking. Redis
// times out blocked clients on its cron tick (every 100 ms by default), so
// a server-side wait can overrun by that much; were the client to give up
// on the connection first, it would cost a reconnect, and for Get could
// drop an item handed out in that instant.
const deadlineMargin = 150 * time.Millisecond

// pollInterval is the pause between non-blocking tries inside the margin.
const pollInterval = 5 * time.Millisecond

// poll calls try with a wait for each step until it reports an item, fails,
// or ctx ends.
func poll(ctx context.Context, try func(wait time.Duration) (bool, error)) error {
	for {
		wait := maxBlock
		dl, hasDL := ctx.Deadline()
		if hasDL {
			if left := time.Until(dl) - deadlineMargin; left < wait {
				wait = left
			}
		}
		if wait < pollInterval {
			wait = 0
		}
		got, err := try(wait)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%w (%w)", ctx.Err(), err)
			}
			return err
		}
		if got {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if wait == 0 {
			pause := pollInterval
			if left := time.Until(dl); hasDL && left < pause {
				pause = left
			}
			t := time.NewTimer(pause)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
}

// Get removes and returns the oldest item, waiting until there is one or
// ctx ends. An item that cannot be decoded is removed and returned in the
// *DecodeError's Raw field.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	var zero T
	if err := q.ready(); err != nil {
		return zero, q.fail("Get", err)
	}
	var b []byte
	err := poll(ctx, func(wait time.Duration) (bool, error) {
		v, ok, err := q.c.conn.QueueGet(ctx, q.key, wait)
		b = v
		return ok, err
	})
	if err != nil {
		return zero, q.fail("Get", err)
	}
	return q.decode(b)
}

// Item is a queue item received with Take. Exactly one of Ack or Release
// should follow; until then the item is leased to this consumer.
type Item[T any] struct {
	Value T
	q     *Queue[T]
	token string
}

// Token identifies this delivery; a redelivery of the same value after a
// lease ended has another token.
func (it *Item[T]) Token() string { return it.token }

// Take leases the oldest item, waiting until there is one or ctx ends. The
// item returns to the queue unless Ack is called within the lease (see
// WithLease; Extend renews it). An item that cannot be decoded is returned
// with a *DecodeError and stays leased, so the caller can Ack it to drop it
// (its bytes are in the error) or Release it.
func (q *Queue[T]) Take(ctx context.Context) (*Item[T], error) {
	return q.take(ctx, "Take", "")
}

func (q *Queue[T]) take(ctx context.Context, op, ack string) (*Item[T], error) {
	if err := q.ready(); err != nil {
		return nil, q.fail(op, err)
	}
	var tok string
	var b []byte
	err := poll(ctx, func(wait time.Duration) (bool, error) {
		t, v, ok, err := q.c.conn.QueueTake(ctx, q.key, ack, q.opt.lease, wait)
		if err == nil {
			ack = "" // done, whether or not an item came too
		}
		tok, b = t, v
		return ok, err
	})
	if err != nil {
		return nil, q.fail(op, err)
	}
	v, err := q.decode(b)
	return &Item[T]{Value: v, q: q, token: tok}, err
}

// AckAndTake acknowledges it and takes the next item, in one round trip
// when an item is waiting: the loop of a consumer that wants every item
// processed at least once without paying a round trip for each Ack. If
// its lease had ended, it fails with ErrLeaseExpired and takes nothing.
// After another error, it may or may not have been acknowledged (as after
// a failed Ack); if the error is ctx's, it was unless ctx had ended before
// the call.
func (it *Item[T]) AckAndTake(ctx context.Context) (*Item[T], error) {
	return it.q.take(ctx, "AckAndTake", it.token)
}

func (it *Item[T]) settle(ctx context.Context, op string, f func() (bool, error)) error {
	if err := it.q.ready(); err != nil {
		return it.q.fail(op, err)
	}
	ok, err := f()
	if err != nil {
		return it.q.fail(op, err)
	}
	if !ok {
		return it.q.fail(op, fmt.Errorf("item %s: %w", it.token, ErrLeaseExpired))
	}
	return nil
}

// Ack removes the item for good. It fails with ErrLeaseExpired if the
// lease ended and the item was handed out again.
func (it *Item[T]) Ack(ctx context.Context) error {
	return it.settle(ctx, "Ack", func() (bool, error) { return it.q.c.conn.QueueAck(ctx, it.q.key, it.token) })
}

// Extend renews the lease for another lease period from now.
func (it *Item[T]) Extend(ctx context.Context) error {
	return it.settle(ctx, "Extend", func() (bool, error) {
		return it.q.c.conn.QueueExtend(ctx, it.q.key, it.token, it.q.opt.lease)
	})
}

// Release gives the item back to the front of the queue now, for another
// consumer.
func (it *Item[T]) Release(ctx context.Context) error {
	return it.settle(ctx, "Release", func() (bool, error) { return it.q.c.conn.QueueRelease(ctx, it.q.key, it.token) })
}

// Len returns the number of items waiting and the number taken (leased
// and not yet acknowledged).
func (q *Queue[T]) Len(ctx context.Context) (waiting, taken int, err error) {
	if err := q.ready(); err != nil {
		return 0, 0, q.fail("Len", err)
	}
	w, t, err := q.c.conn.QueueLen(ctx, q.key)
	return w, t, wrapIf(q.fail, "Len", err)
}

// Clear removes all items, waiting and taken.
func (q *Queue[T]) Clear(ctx context.Context) error {
	if err := q.ready(); err != nil {
		return q.fail("Clear", err)
	}
	return wrapIf(q.fail, "Clear", q.c.conn.Delete(ctx, q.key))
}
