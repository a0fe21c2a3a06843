// Package driver defines the interface a shared-state backend implements.
//
// Users never call a driver: they hold the portable types in package shared
// (Client, Map, Queue, Mutex, ...), which validate input, encode values, add
// the namespace to every key and wrap errors, and then call a Conn with bytes
// and full keys. A driver only has to make each method atomic and map its
// native errors onto the sentinels below.
//
// Each method is one atomic step on the store (one round trip on a network
// store). Blocking is bounded by the wait arguments; the portable layer loops
// and watches the context, so a driver never has to block for long.
package driver

import (
	"context"
	"errors"
	"net/url"
	"time"
)

// Portable error sentinels. A driver wraps its native errors with these (with
// %w) so that callers can test them with errors.Is. Package shared re-exports
// them under the same names.
var (
	// ErrUnavailable: the store cannot be reached (refused, reset, timed out,
	// loading its data after a restart). The operation may or may not have
	// taken effect if the connection broke after the request was sent.
	ErrUnavailable = errors.New("shared store unavailable")
	// ErrAuth: the store refused the credentials.
	ErrAuth = errors.New("shared store refused the credentials")
	// ErrClosed: the Client was closed.
	ErrClosed = errors.New("shared client closed")
	// ErrMismatch: the stored object disagrees with the caller (for example a
	// Barrier created with a different number of parties).
	ErrMismatch = errors.New("shared object mismatch")
	// ErrLeaseExpired: a queue token no longer holds its value.
	ErrLeaseExpired = errors.New("queue item lease expired")
)

// Conn is an open connection to one store. Keys are full keys (namespace
// included) and never contain a NUL byte, so a driver may derive further keys
// from a key by appending NUL and a suffix (key+"\x00taken") without
// colliding with another object's key; Delete and DropPrefix must remove
// those too. Methods must be safe for concurrent use.
type Conn interface {
	// Map: a hash of fields at key. Missing values are reported with ok=false
	// or, in MapLoadMany, a nil slice (stored values are never nil: a
	// driver stores an empty value as a non-nil empty slice).
	MapLoad(ctx context.Context, key, field string) (val []byte, ok bool, err error)
	MapLoadMany(ctx context.Context, key string, fields []string) ([][]byte, error)
	MapStore(ctx context.Context, key string, fields []string, vals [][]byte) error
	MapLoadOrStore(ctx context.Context, key, field string, val []byte) (actual []byte, loaded bool, err error)
	MapSwap(ctx context.Context, key, field string, val []byte) (prev []byte, loaded bool, err error)
	MapLoadAndDelete(ctx context.Context, key, field string) (prev []byte, loaded bool, err error)
	MapDelete(ctx context.Context, key string, fields []string) error
	// MapCompareAndSwap stores new if the field holds exactly old.
	MapCompareAndSwap(ctx context.Context, key, field string, old, new []byte) (bool, error)
	// MapCompareAndDelete deletes the field if it holds exactly old.
	MapCompareAndDelete(ctx context.Context, key, field string, old []byte) (bool, error)
	// MapScan returns about count entries starting at cursor and the cursor
	// to continue from; next is 0 when the scan is complete. Fields present
	// for the whole scan are returned at least once.
	MapScan(ctx context.Context, key string, cursor uint64, count int) (fields []string, vals [][]byte, next uint64, err error)
	MapLen(ctx context.Context, key string) (int, error)

	// Queue: FIFO of values at key.
	QueuePut(ctx context.Context, key string, vals [][]byte) error
	// QueueGet removes and returns the oldest value, waiting up to wait for
	// one (wait 0: do not wait).
	QueueGet(ctx context.Context, key string, wait time.Duration) (val []byte, ok bool, err error)
	// QueueTake moves the oldest value to the taken set under a lease and
	// returns a token naming it, waiting up to wait for one. Values whose
	// lease has ended go back to the front of the queue first. If ack is
	// not empty, that token is acknowledged first, in the same step (as
	// QueueAck); if it no longer holds its value, nothing is taken and the
	// error wraps ErrLeaseExpired.
	QueueTake(ctx context.Context, key, ack string, lease, wait time.Duration) (token string, val []byte, ok bool, err error)
	// QueueAck removes a taken value for good; false if the token no
	// longer holds it (its lease ended and it was handed out again).
	QueueAck(ctx context.Context, key, token string) (bool, error)
	// QueueExtend renews a lease to now+lease; false as for QueueAck.
	QueueExtend(ctx context.Context, key, token string, lease time.Duration) (bool, error)
	// QueueRelease puts a taken value back at the front of the queue now.
	QueueRelease(ctx context.Context, key, token string) (bool, error)
	QueueLen(ctx context.Context, key string) (ready, taken int, err error)

	// Lock takes the lock at key for lease if it is free and returns a
	// fencing token that is larger than any token handed out before for
	// this key; ok=false if someone else holds it.
	Lock(ctx context.Context, key string, lease time.Duration) (token int64, ok bool, err error)
	// Unlock releases the lock if token holds it; false otherwise.
	Unlock(ctx context.Context, key string, token int64) (bool, error)
	// ExtendLock renews the lease if token holds the lock; false otherwise.
	ExtendLock(ctx context.Context, key string, token int64, lease time.Duration) (bool, error)

	// CounterAdd adds delta to the integer at key (missing is 0) and returns
	// the new value. With nonNegative, an addition that would make the value
	// negative is not applied and applied is false.
	CounterAdd(ctx context.Context, key string, delta int64, nonNegative bool) (val int64, applied bool, err error)
	CounterLoad(ctx context.Context, key string) (int64, error)

	// BarrierArrive counts one arrival at a cyclic barrier of parties and
	// returns the generation the caller waits on; tripped is true when this
	// arrival was the last one (the generation has already advanced).
	// A barrier that exists with a different parties count is ErrMismatch.
	BarrierArrive(ctx context.Context, key string, parties int) (gen int64, tripped bool, err error)
	// BarrierGeneration reports the current generation.
	BarrierGeneration(ctx context.Context, key string) (int64, error)
	// BarrierLeave withdraws one arrival if the generation is still gen;
	// false means the barrier tripped meanwhile.
	BarrierLeave(ctx context.Context, key string, gen int64) (bool, error)

	// Delete removes keys and everything derived from them.
	Delete(ctx context.Context, keys ...string) error
	// DropPrefix removes every key that starts with prefix.
	DropPrefix(ctx context.Context, prefix string) error

	// Addr names the store in error messages (host:port, or "mem://name").
	Addr() string
	// As exposes the native client (see shared.Client.As).
	As(i any) bool
	Close() error
}

// Opener opens a Conn from a URL whose shared-level query parameters
// (namespace) have already been removed.
type Opener func(ctx context.Context, u *url.URL) (Conn, error)
