package process_test

import (
	"context"
	"github.com/burst-dev/burst/pool/process"
	"runtime"
	"strings"
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

// A callback that takes long (an OnDone doing real work, a slow OnRound in
// remd) runs on the goroutine that reads its worker's results, which reads
// nothing meanwhile: the worker's answers to the liveness pings wait
// unread. The watch must not take that for a silent worker, kill it and
// retry its calls: only intervals in which a read waited in vain count.
func TestSlowCallbackLosesNoWorker(t *testing.T) {
	logs := captureLog(t)
	const liveness = 100 * time.Millisecond
	p, b := openWith(t, process.Options{Workers: 1, Liveness: liveness}, pool.WithRetries(0))
	pid := b.PIDs()[0]
	ctx := context.Background()
	g, _ := pool.WithContext(ctx, p)
	first := hold.Go(g, holdIn{X: 1, D: time.Millisecond})
	// In flight while the callback holds the reader: the worker has a call
	// to answer, so the watch pings it.
	second := hold.Go(g, holdIn{X: 2, D: 50 * time.Millisecond})
	first.OnDone(func(int, error) { time.Sleep(10 * liveness) })
	if err := g.Wait(); err != nil {
		t.Fatalf("Group: %v (log: %s)", err, logs)
	}
	if y, err := second.Get(ctx); y != 2 || err != nil {
		t.Fatalf("second call = %d, %v", y, err)
	}
	// A worker killed while the callback held its reader is found dead
	// only once the reader reads again: give it a call to answer.
	if y, err := hold.Call(ctx, p, holdIn{X: 3}); y != 3 || err != nil {
		t.Fatalf("call after the callback = %d, %v", y, err)
	}
	if got := b.PIDs(); len(got) != 1 || got[0] != pid || strings.Contains(logs.String(), "killing") {
		t.Fatalf("PIDs = %v, want [%d]: the worker was killed while a callback held its reader (log: %s)", got, pid, logs)
	}
}

// A callback that waits for another call of the same worker waited for
// ever: the other call's result is read by the goroutine the callback
// holds. The liveness watch hands the reading to a new goroutine, says
// why in the log, and both calls end.
func TestCallbackWaitingForACallOfItsWorkerEnds(t *testing.T) {
	logs := captureLog(t)
	p, _ := openWith(t, process.Options{Workers: 1, Liveness: 50 * time.Millisecond})
	ctx := context.Background()
	g, _ := pool.WithContext(ctx, p)
	first := hold.Go(g, holdIn{X: 1, D: time.Millisecond})
	second := hold.Go(g, holdIn{X: 2, D: 20 * time.Millisecond})
	got := make(chan int, 1)
	first.OnDone(func(int, error) {
		y, _ := second.Get(ctx)
		got <- y
	})
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the Group never ended: the callback waits for a result nobody reads (log: %s)", logs)
	}
	if y := <-got; y != 2 {
		t.Fatalf("the callback got %d, want 2", y)
	}
	if !strings.Contains(logs.String(), "must not wait for another call") {
		t.Fatalf("the log does not say what held the results up: %s", logs)
	}
}

// A callback that waits for another call of its worker is relieved by the
// liveness watch even when that worker is being killed meanwhile (a call
// ignoring its cancellation past the grace period): the reader must go on
// to see the worker die, so that the awaited call is retried elsewhere.
// The watch skipped workers no longer ready, and a killed worker is not:
// the callback, the call and the Group waited for ever.
func TestCallbackWaitingOnAKilledWorkerEnds(t *testing.T) {
	logs := captureLog(t)
	p, _ := openWith(t, process.Options{Workers: 1, PerWorker: 3, Grace: 20 * time.Millisecond, Liveness: 300 * time.Millisecond},
		pool.WithRetries(3), pool.WithBackoff(time.Millisecond, 10*time.Millisecond))
	ctx := context.Background()
	g, _ := pool.WithContext(ctx, p)
	// Long enough that OnDone is registered before it ends, so that the
	// callback runs on the worker's reader.
	first := hold.Go(g, holdIn{X: 1, D: 300 * time.Millisecond})
	second := hold.Go(g, holdIn{X: 2, D: 2 * time.Second})
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stub := make(chan error, 1)
	go func() {
		_, err := stubborn.Call(sctx, p, time.Hour)
		stub <- err
	}()
	entered := make(chan struct{})
	got := make(chan int, 1)
	first.OnDone(func(int, error) {
		close(entered)
		y, _ := second.Get(ctx)
		got <- y
	})
	<-entered
	// The stubborn call ignores this: its worker is killed after the grace
	// period, while the callback holds the reader.
	cancel()
	<-stub
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the Group never ended: the callback waits for a call of a killed worker whose reader it holds (log: %s)", logs)
	}
	if y := <-got; y != 2 {
		t.Fatalf("the callback got %d, want 2", y)
	}
}
