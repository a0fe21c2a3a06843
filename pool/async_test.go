package pool_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

// A Group's calls on a backend that can end them on a goroutine of its own
// (local://?encode=1, process://) take the pool's path with no goroutine
// waiting (retries, timeouts and errors on the way out included); each case
// must give what the same call gives through Call.
func TestGroupCallsAsCallDoes(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			ctx := context.Background()
			// Limit 1: the second call of each pair finds no free slot and
			// waits for one, as Go does.
			p := open(t, u, pool.WithLimit(1), pool.WithRetries(2), pool.WithBackoff(time.Millisecond, time.Millisecond),
				pool.WithTimeout(time.Second))

			flakyCount.Store(0)
			g, _ := pool.WithContext(ctx, p)
			a, b := flaky.Go(g, 2), flaky.Go(g, 2)
			if err := g.Wait(); err != nil {
				t.Fatalf("flaky calls: %v", err)
			}
			for _, f := range []*pool.Future[int]{a, b} {
				if y, err := f.Get(ctx); y != 42 || err != nil {
					t.Fatalf("flaky = %d, %v; want 42", y, err)
				}
			}
			if st := p.Stats(); st.Retries != 2 || st.Calls != 2 {
				t.Fatalf("Stats = %+v, want 2 calls, 2 retries", st)
			}

			flakyCount.Store(0)
			g, _ = pool.WithContext(ctx, p)
			f := flaky.Go(g, 5)
			var ce *pool.CallError
			if err := g.Wait(); !errors.As(err, &ce) || ce.Attempts != 3 || !pool.IsRetryable(err) {
				t.Fatalf("retries run out: %v, want a retryable error after 3 attempts", err)
			}
			if _, err := f.Get(ctx); !errors.As(err, &ce) {
				t.Fatalf("future: %v, want the CallError", err)
			}

			g, _ = pool.WithContext(ctx, p)
			f2 := sleepy.Go(g, time.Minute)
			if err := g.Wait(); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("timeout: %v, want DeadlineExceeded", err)
			}
			if st := f2.Stats(); st.Attempts != 1 || st.Func != sleepy.Name() {
				t.Fatalf("timed-out call's stats = %+v", st)
			}

			// Cancelled while waiting for a slot and while running.
			cctx, cancel := context.WithCancelCause(ctx)
			g, _ = pool.WithContext(cctx, p)
			running, waiting := sleepy.Go(g, time.Minute), sleepy.Go(g, time.Minute)
			time.Sleep(20 * time.Millisecond)
			stop := errors.New("stopped by the test")
			cancel(stop)
			// The running call's function returns its context's error,
			// which carries no cause; the waiting one never ran, and ends
			// with the cause. (Which of the two got the slot first is the
			// runtime's choice where each call has a goroutine.)
			if err := g.Wait(); !errors.Is(err, stop) && !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled group: %v, want the cause or Canceled", err)
			}
			causes := 0
			for _, f := range []*pool.Future[string]{running, waiting} {
				_, err := f.Get(ctx)
				if errors.Is(err, stop) {
					causes++
				} else if !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled call: %v, want the cause or Canceled", err)
				}
			}
			if causes == 0 {
				t.Fatal("no cancelled call carried the cause")
			}

			p.Close()
			g, _ = pool.WithContext(ctx, p)
			if _, err := flaky.Go(g, 0).Get(ctx); !errors.Is(err, pool.ErrClosed) {
				t.Fatalf("after Close: %v, want ErrClosed", err)
			}
		})
	}
}
