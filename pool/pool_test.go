package pool_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

type errFunc struct{ msg string }

func (e *errFunc) Error() string { return e.msg }

var (
	square = pool.Register("test.square", func(ctx context.Context, x int) (int, error) {
		return x * x, nil
	})
	failIf = pool.Register("test.failIf", func(ctx context.Context, x int) (int, error) {
		if x < 0 {
			return 0, &errFunc{fmt.Sprintf("negative %d", x)}
		}
		return x, nil
	})
	sleepy = pool.Register("test.sleepy", func(ctx context.Context, d time.Duration) (string, error) {
		select {
		case <-time.After(d):
			return "slept", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	})
	panicky = pool.Register("test.panicky", func(ctx context.Context, s string) (string, error) {
		panic("boom: " + s)
	})
	flaky = pool.Register("test.flaky", func(ctx context.Context, n int) (int, error) {
		if flakyCount.Add(1) <= int64(n) {
			return 0, pool.Retryable(errors.New("not yet"))
		}
		return 42, nil
	})
	flakyCount atomic.Int64
)

// backends are the in-process variants every behaviour must hold on.
var localURLs = []string{"local://", "local://?encode=1"}

func open(t *testing.T, url string, opts ...pool.Option) *pool.Pool {
	t.Helper()
	p, err := pool.Open(context.Background(), url, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", url, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestMapKeepsInputOrder(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			p := open(t, u, pool.WithLimit(7))
			in := make([]int, 1000)
			for i := range in {
				in[i] = i
			}
			out, err := square.Map(context.Background(), p, in)
			if err != nil {
				t.Fatal(err)
			}
			for i, y := range out {
				if y != i*i {
					t.Fatalf("out[%d] = %d, want %d", i, y, i*i)
				}
			}
		})
	}
}

func TestFunctionErrorReachesCaller(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			p := open(t, u)
			_, err := failIf.Call(context.Background(), p, -3)
			if err == nil || !strings.Contains(err.Error(), "negative -3") {
				t.Fatalf("err = %v, want the function's message", err)
			}
			var ce *pool.CallError
			if !errors.As(err, &ce) || ce.Func != "test.failIf" || ce.Attempts != 1 {
				t.Fatalf("err = %#v, want *CallError for test.failIf after 1 attempt", err)
			}
			if u == "local://" {
				var fe *errFunc
				if !errors.As(err, &fe) {
					t.Fatalf("in-process call lost the error's type: %T", err)
				}
			} else {
				var re *pool.RemoteError
				if !errors.As(err, &re) || re.Type != "*pool_test.errFunc" {
					t.Fatalf("err = %v, want *RemoteError of type *pool_test.errFunc", err)
				}
			}
		})
	}
}

func TestPanicBecomesError(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			p := open(t, u)
			_, err := panicky.Call(context.Background(), p, "x")
			var pe *pool.PanicError
			if !errors.As(err, &pe) || pe.Value != "boom: x" || !strings.Contains(pe.Stack, "pool_test") {
				t.Fatalf("err = %v, want *PanicError with value and stack", err)
			}
			// The worker survives the panic.
			if y, err := square.Call(context.Background(), p, 3); err != nil || y != 9 {
				t.Fatalf("after panic: Call = %d, %v; want 9, nil", y, err)
			}
		})
	}
}

func TestRetryableErrorsAreRetried(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			flakyCount.Store(0)
			p := open(t, u, pool.WithBackoff(time.Millisecond, time.Millisecond))
			fut := func() (int, pool.Stats, error) {
				y, err := flaky.Call(context.Background(), p, 2)
				return y, p.Stats(), err
			}
			y, st, err := fut()
			if err != nil || y != 42 {
				t.Fatalf("Call = %d, %v; want 42 after two retries", y, err)
			}
			if st.Retries != 2 {
				t.Fatalf("Stats.Retries = %d, want 2", st.Retries)
			}
			// A plain function error is not retried.
			flakyCount.Store(0)
			_, err = failIf.Call(context.Background(), p, -1)
			var ce *pool.CallError
			if !errors.As(err, &ce) || ce.Attempts != 1 {
				t.Fatalf("plain error: %v, want exactly 1 attempt", err)
			}
		})
	}
}

func TestRetriesRunOut(t *testing.T) {
	flakyCount.Store(0)
	p := open(t, "local://?encode=1", pool.WithRetries(1), pool.WithBackoff(time.Millisecond, time.Millisecond))
	_, err := flaky.Call(context.Background(), p, 5)
	var ce *pool.CallError
	if !errors.As(err, &ce) || ce.Attempts != 2 || !pool.IsRetryable(err) {
		t.Fatalf("err = %v, want a retryable error after 2 attempts", err)
	}
}

func TestTimeoutEndsFunctionContext(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			p := open(t, u, pool.WithTimeout(20*time.Millisecond))
			_, err := sleepy.Call(context.Background(), p, time.Minute)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want DeadlineExceeded", err)
			}
		})
	}
}

// A main that forgets pool.Main runs as a driver in every worker it starts:
// each opened a pool of its own, whose workers did the same, without end.
func TestWorkerWithoutMainRefusesToOpen(t *testing.T) {
	t.Setenv("BURST_PROCESS_WORKER", "0")
	for _, u := range []string{"local://", "process://?workers=1"} {
		_, err := pool.Open(context.Background(), u)
		if err == nil || !strings.Contains(err.Error(), "pool.Main()") || !strings.Contains(err.Error(), "process worker") {
			t.Errorf("Open(%q) in a process started as a worker: err = %v, want a refusal naming pool.Main()", u, err)
		}
	}
}

// A worker's children (a tool its function runs) are not workers: they do
// not inherit the marker.
func TestWorkerMarkerNotInherited(t *testing.T) {
	p := open(t, "process://?workers=1")
	got, err := workerEnv.Call(context.Background(), p, "BURST_PROCESS_WORKER")
	if err != nil {
		t.Fatal(err)
	}
	if got != "" {
		t.Errorf("a process worker's environment has BURST_PROCESS_WORKER=%q: its children would start as workers", got)
	}
}

var workerEnv = pool.Register("test.workerEnv", func(ctx context.Context, name string) (string, error) {
	return os.Getenv(name), nil
})

func TestUnknownSchemeListsKnown(t *testing.T) {
	_, err := pool.Open(context.Background(), "nosuch://x")
	if err == nil || !strings.Contains(err.Error(), "local") || !strings.Contains(err.Error(), `"nosuch"`) {
		t.Fatalf("err = %v, want it to name the scheme and list the registered ones", err)
	}
}

func TestBadURLParameters(t *testing.T) {
	for _, u := range []string{"local://?limit=x", "local://?timeout=forever", "local://?codec=xml", "local://?buildcheck=no", "local://?encode=maybe", "local://?wrkers=2"} {
		if _, err := pool.Open(context.Background(), u); err == nil {
			t.Errorf("Open(%q) succeeded, want an error", u)
		} else {
			t.Logf("%s: %v", u, err)
		}
	}
}

// buildRecorder is a backend that records each request's build id and fails
// the call, for TestBuildCheckParameter.
type buildRecorder struct{ builds chan string }

func (b buildRecorder) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	b.builds <- req.Build
	return nil, errors.New("recorded")
}
func (buildRecorder) Limit() int   { return 1 }
func (buildRecorder) Close() error { return nil }

var recorded = make(chan string, 4)

func init() {
	driver.RegisterBackend("buildrec", func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		return buildRecorder{recorded}, driver.UnknownParams(u)
	})
}

func TestBuildCheckParameter(t *testing.T) {
	for _, c := range []struct {
		url  string
		want string
	}{
		{"buildrec://?retries=0", driver.BuildID()},
		{"buildrec://?retries=0&buildcheck=on", driver.BuildID()},
		{"buildrec://?retries=0&buildcheck=off", ""},
	} {
		p, err := pool.Open(context.Background(), c.url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := square.Call(context.Background(), p, 1); err == nil {
			t.Fatalf("%s: call succeeded, want the recorder's error", c.url)
		}
		if got := <-recorded; got != c.want {
			t.Errorf("%s: request's build = %q, want %q", c.url, got, c.want)
		}
		p.Close()
	}
	if driver.BuildID() == "" {
		t.Fatal("driver.BuildID is empty: the test above cannot tell on from off")
	}
}

func TestDuplicateRegisterPanicsNamingBothSites(t *testing.T) {
	defer func() {
		r := fmt.Sprint(recover())
		if strings.Count(r, "pool_test.go:") != 2 {
			t.Fatalf("panic = %q, want both call sites", r)
		}
	}()
	pool.Register("test.square", func(ctx context.Context, x int) (int, error) { return x, nil })
}

func TestClosedPoolRefusesCalls(t *testing.T) {
	p := open(t, "local://")
	p.Close()
	if _, err := square.Call(context.Background(), p, 2); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
}

func TestStreamYieldsInOrderWithBoundedWindow(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(4))
	var got []int
	seq := func(yield func(int) bool) {
		for i := range 100 {
			if !yield(i) {
				return
			}
		}
	}
	for y, err := range square.Stream(context.Background(), p, seq) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, y)
	}
	want := make([]int, 100)
	for i := range want {
		want[i] = i * i
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want squares in order", got)
	}
}

func TestStreamStopsOnError(t *testing.T) {
	p := open(t, "local://")
	seq := slices.Values([]int{1, 2, -1, 4})
	var n int
	var last error
	for _, err := range failIf.Stream(context.Background(), p, seq) {
		n++
		last = err
	}
	if n != 3 || last == nil {
		t.Fatalf("yielded %d items, last err %v; want 3 with the error last", n, last)
	}
}

// onDoneGate holds up gated's calls until it is closed.
var (
	onDoneGate chan struct{}
	gated      = pool.Register("test.gated", func(ctx context.Context, x int) (int, error) {
		<-onDoneGate
		return x * 2, nil
	})
)

func TestFutureOnDone(t *testing.T) {
	p := open(t, "local://?encode=1", pool.WithLimit(4))
	g, _ := pool.WithContext(context.Background(), p)
	release := make(chan struct{})
	onDoneGate = release
	// Registered while the call runs: called once the call is done, on the
	// goroutine that finished it, before Wait returns (the race detector
	// checks that Wait orders got after the callbacks' writes).
	var got []int
	fut := gated.Go(g, 21)
	fut.OnDone(func(out int, err error) { got = append(got, out) })
	fut.OnDone(func(out int, err error) { got = append(got, -out) })
	if len(got) != 0 {
		t.Fatalf("callbacks ran before the call finished: %v", got)
	}
	close(release)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{42, -42}) {
		t.Fatalf("callbacks saw %v, want [42 -42] in the order registered", got)
	}
	// Registered after the call finished: called at once, on this goroutine.
	ran := false
	fut.OnDone(func(out int, err error) { ran = out == 42 && err == nil })
	if !ran {
		t.Fatal("a callback registered after the call finished did not run at once with its result")
	}

	// A failed call hands its error to the callback, as Get gives it.
	g2, _ := pool.WithContext(context.Background(), p)
	bad := failIf.Go(g2, -1)
	var cbErr error
	bad.OnDone(func(_ int, err error) { cbErr = err })
	g2.Wait()
	if _, err := bad.Get(context.Background()); cbErr == nil || cbErr != err {
		t.Fatalf("callback got %v, Get %v: want the same error", cbErr, err)
	}
}

func TestWaitAnyAndAll(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(4))
	g, _ := pool.WithContext(context.Background(), p)
	fast := sleepy.Go(g, time.Millisecond)
	slow := sleepy.Go(g, 300*time.Millisecond)
	done, pending, err := pool.Wait(context.Background(), []*pool.Future[string]{slow, fast}, 1)
	if err != nil || len(done) != 1 || done[0] != fast || len(pending) != 1 {
		t.Fatalf("any (n=1): done=%d pending=%d err=%v; want the fast one done", len(done), len(pending), err)
	}
	done, pending, err = pool.Wait(context.Background(), []*pool.Future[string]{slow, fast}, 2)
	if err != nil || len(done) != 2 || len(pending) != 0 {
		t.Fatalf("all (n=2): done=%d pending=%d err=%v", len(done), len(pending), err)
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if s := slow.Stats(); s.Attempts != 1 || s.Ended.Sub(s.Started) < 300*time.Millisecond {
		t.Fatalf("Stats = %+v, want one attempt of ≥ 300ms", s)
	}
}

func TestWaitQuorum(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(4))
	g, _ := pool.WithContext(context.Background(), p)
	futs := []*pool.Future[string]{
		sleepy.Go(g, time.Hour), sleepy.Go(g, time.Millisecond), sleepy.Go(g, 2*time.Millisecond),
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done, pending, err := pool.Wait(ctx, futs, 2)
	if err != nil || len(done) != 2 || done[0] != futs[1] || done[1] != futs[2] || len(pending) != 1 || pending[0] != futs[0] {
		t.Fatalf("n=2 of 3: done=%d pending=%d err=%v; want the two short ones done, in order", len(done), len(pending), err)
	}
	// More than there are means all: here it waits for the hour-long call
	// until ctx ends.
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, pending, err := pool.Wait(short, futs, 5); !errors.Is(err, context.DeadlineExceeded) || len(pending) != 1 {
		t.Fatalf("n=5 of 3: err=%v pending=%d, want deadline and 1 pending", err, len(pending))
	}
	if done, pending, err := pool.Wait(short, futs, 0); err != nil || len(done) != 2 || len(pending) != 1 {
		t.Fatalf("n=0: done=%d pending=%d err=%v, want an immediate split", len(done), len(pending), err)
	}
	p.Close()
}

func TestWaitReturnsWhenContextEnds(t *testing.T) {
	p := open(t, "local://")
	g, _ := pool.WithContext(context.Background(), p)
	f := sleepy.Go(g, time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, pending, err := pool.Wait(ctx, []*pool.Future[string]{f}, 1)
	if !errors.Is(err, context.DeadlineExceeded) || len(pending) != 1 {
		t.Fatalf("err=%v pending=%d, want deadline and 1 pending", err, len(pending))
	}
	p.Close()
}
