// Package driver is what a backend author needs to carry pool calls to
// workers: the Backend interface a backend implements, the call and result
// envelopes it carries, the worker side that runs a call (Handle), and the
// registries through which a backend package makes its URL scheme and its
// worker mode known. Users of pool never need this package; it plays the role
// of database/sql/driver beside database/sql.
package driver

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"github.com/burst-dev/burst/internal/registry"
)

// Backend is the driver interface a backend implements: carry one call
// envelope to a worker and bring its result envelope back. The Pool owns
// everything else — encoding, limits, retries, timeouts, statistics — so a
// backend stays small.
type Backend interface {
	// Invoke runs req on a worker. It returns an error only when no Response
	// could be had; that error wraps ErrWorkerLost, ErrThrottled or
	// ErrTransient when another attempt may succeed. When ctx ends, Invoke
	// returns promptly and, where the platform allows, cancels the call.
	Invoke(ctx context.Context, req *Request) (*Response, error)
	// Limit is how many calls the backend runs at once unless the user says
	// otherwise: as many as it has cores, for CPU-bound work.
	Limit() int
	// Close releases the backend's workers and connections.
	Close() error
}

// A Queuer is a Backend that keeps calls waiting beside its workers and
// starts each the moment a running call ends, so a worker never sits idle for
// the round trip to the driver between two calls. The pool tells it the
// pool-wide limit once; from then on the backend itself runs at most limit
// calls at once and accepts up to limit+extra in flight, the extra ones
// waiting. Because a waiting call has not started, a Queuer also owns the
// per-attempt timeout: it bounds each call by Request.Timeout from the
// moment the call starts, on the worker and on the driver.
type Queuer interface {
	Backend
	Queue(limit int) (extra int)
}

// A Starter is a Backend that can run a call without a goroutine waiting for
// it. Start sends req as Invoke does and calls done exactly once with what
// Invoke would have returned: on a goroutine of the backend (the one that
// read the result), or on the caller's before Start returns when the call
// fails at once. done must not block. The pool uses it to start calls of a
// Group with no goroutine per call, so that a result's way to the caller's
// callbacks (Future.OnDone) readies no goroutine: a goroutine readied while
// the driver has an idle P wakes a thread, which on a host the driver shares
// with its workers takes a core from their functions.
type Starter interface {
	Backend
	Start(ctx context.Context, req *Request, done func(*Response, error))
}

// InProcess is implemented by a Backend that runs calls as goroutines of the
// calling process. When InProcess reports true the pool calls the Go function
// directly, without encoding it into a Request, and never calls Invoke.
type InProcess interface {
	Backend
	InProcess() bool
}

// A Canceller is a Backend whose calls stop on the worker when their context
// ends: the cancellation travels to the function (the process protocol, a
// closed HTTP request), or the worker is replaced. On any other backend a
// call cut short by its context may go on running, and being billed, on the
// platform (a Lambda invocation cannot be stopped); the pool marks such calls
// Abandoned in their statistics so that cost estimates include them.
type Canceller interface {
	Backend
	CancelsCalls() bool
}

// An Opener makes a Backend from a URL. The pool-wide query parameters
// (limit, timeout, retries, codec, buildcheck) are removed before the opener sees it, so
// an opener should reject every parameter it does not know.
type Opener func(ctx context.Context, u *url.URL) (Backend, error)

var openers = registry.New[Opener]("pool: backend scheme")

// RegisterBackend makes pool.Open accept URLs with the given scheme. Backend
// packages call it from init; registering a scheme twice panics.
func RegisterBackend(scheme string, open Opener) { openers.Register(scheme, open) }

// Schemes lists the registered backend schemes, sorted.
func Schemes() []string { return openers.Names() }

// Lookup returns the Opener registered for scheme.
func Lookup(scheme string) (Opener, bool) { return openers.Lookup(scheme) }

// UnknownParams returns an error naming the first query parameter of u that
// is not in accepted, for openers to reject typos instead of ignoring them.
func UnknownParams(u *url.URL, accepted ...string) error {
	keys := make([]string, 0, len(u.Query()))
	for k := range u.Query() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ok := false
		for _, a := range accepted {
			ok = ok || a == k
		}
		if !ok {
			all := append([]string{"limit", "timeout", "retries", "codec", "buildcheck"}, accepted...)
			return fmt.Errorf("pool: %s://: unknown parameter %q (accepted: %v)", u.Scheme, k, all)
		}
	}
	return nil
}
