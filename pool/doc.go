// Package pool runs registered Go functions on a backend — goroutines in this
// process, child processes of this binary, or serverless functions of a cloud —
// with the surface of errgroup.
//
// Go cannot ship a closure, so the same binary is both driver and worker.
// Functions are registered by name at package level, and main starts with
// pool.Main, which serves calls (and never returns) when the process was
// started as a worker:
//
//	var Square = pool.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
//	func main() {
//		pool.Main()
//		p, err := pool.Open(ctx, "process://?workers=2")
//		...
//		ys, err := Square.Map(ctx, p, []int{1, 2, 3})
//	}
//
// A Pool is opened from a URL whose scheme names a backend; local:// is built
// in, other backends register their scheme from their own package (import
// pool/process, pool/aws, … or let package providers import them), so unused
// cloud SDKs never enter a binary. What a backend author needs — the Backend
// interface, the call envelopes, the worker side — is in package pool/driver.
//
// Calls are at-least-once: a call whose worker is lost, or that was throttled,
// is run again (with exponential backoff and jitter) and still returns exactly
// one result. A function's own error is never retried unless it is wrapped
// with Retryable.
//
// Slow and misbehaving calls cost a bounded amount: a call of a function
// registered with Idempotent may get a backup attempt when it runs far longer
// than the others of its Map, Stream or Group (WithBackups; the first to
// succeed wins, the other is cancelled); a call returns at its deadline even
// when its function ignores its context (on local:// the goroutine is left
// running, on process:// the worker is replaced after a grace period); and
// Stats counts the calls that may still run, and be billed, on a platform
// that cannot cancel them (Stats.Abandoned).
package pool
