package process_test

import (
	"context"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

// A Group's calls on process:// wait with no goroutine each: a result is
// handed to the caller's callbacks on the goroutine that read it, which
// readies no other (each goroutine readied while the driver's other P idles
// wakes a thread, at the expense of the workers' functions on a shared
// host). Before, every call held a goroutine until its result came.
func TestGroupCallsHoldNoGoroutine(t *testing.T) {
	p, _ := openProc(t, 1, pool.WithLimit(1000))
	ctx := context.Background()
	before := runtime.NumGoroutine()
	g, _ := pool.WithContext(ctx, p)
	const n = 500
	futs := make([]*pool.Future[int], n)
	for i := range futs {
		futs[i] = hold.Go(g, holdIn{X: i, D: 2 * time.Millisecond})
	}
	during := runtime.NumGoroutine()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if during-before > n/10 {
		t.Fatalf("%d goroutines more with %d calls in flight, want fewer than %d: calls hold a goroutine each", during-before, n, n/10)
	}
	for i, f := range futs {
		if y, err := f.Get(ctx); y != i || err != nil {
			t.Fatalf("call %d = %d, %v", i, y, err)
		}
	}
}

// A worker killed under a Group's calls, running and waiting ones: every
// call still ends once, with its own result (the running ones retried, the
// waiting ones sent again).
func TestGroupCallsSurviveSIGKILL(t *testing.T) {
	p, b := openProc(t, 2, pool.WithLimit(1000), pool.WithBackoff(time.Millisecond, 10*time.Millisecond))
	ctx := context.Background()
	g, _ := pool.WithContext(ctx, p)
	const n = 600
	futs := make([]*pool.Future[int], n)
	for i := range futs {
		futs[i] = hold.Go(g, holdIn{X: i, D: time.Duration(20+i%50) * time.Millisecond})
	}
	victim := 0
	for deadline := time.Now().Add(30 * time.Second); victim == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("worker 0 never had 20 calls in flight")
		}
		if w := b.Workers()[0]; w.InFlight >= 20 {
			victim = w.PID
		}
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("Group after SIGKILL: %v", err)
	}
	for i, f := range futs {
		if y, err := f.Get(ctx); y != i || err != nil {
			t.Fatalf("call %d = %d, %v", i, y, err)
		}
	}
	if st := p.Stats(); st.Calls != n || st.Retries == 0 {
		t.Fatalf("Stats = %+v, want %d calls with some retried", st, n)
	}
}
