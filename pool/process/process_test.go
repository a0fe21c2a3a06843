package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/process"
)

func TestMain(m *testing.M) {
	pool.Main()
	if os.Getenv(envDriver) != "" {
		runDriver()
		return
	}
	os.Exit(m.Run())
}

var (
	double = pool.Register("proc.double", func(ctx context.Context, x int) (int, error) { return 2 * x, nil })
	pid    = pool.Register("proc.pid", func(ctx context.Context, _ struct{}) (int, error) { return os.Getpid(), nil })
	hold   = pool.Register("proc.hold", func(ctx context.Context, in holdIn) (int, error) {
		select {
		case <-time.After(in.D):
			return in.X, nil
		case <-ctx.Done():
			if in.Marker != "" {
				os.WriteFile(in.Marker, []byte(context.Cause(ctx).Error()), 0o644)
			}
			return 0, ctx.Err()
		}
	})
	chatty = pool.Register("proc.chatty", func(ctx context.Context, s string) (string, error) {
		fmt.Println("to stdout:", s) // must not corrupt the protocol
		fmt.Fprintln(os.Stderr, "to stderr:", s)
		return s, nil
	})
	// transport is the worker's transport as the driver told it.
	transport = pool.Register("proc.transport", func(ctx context.Context, _ struct{}) (string, error) {
		return os.Getenv("BURST_PROCESS_TRANSPORT"), nil
	})
	explode = pool.Register("proc.explode", func(ctx context.Context, s string) (string, error) { panic(s) })
	echo    = pool.Register("proc.echo", func(ctx context.Context, b []byte) (int, error) { return len(b), nil })
	// stubborn ignores its context.
	stubborn = pool.Register("proc.stubborn", func(ctx context.Context, d time.Duration) (int, error) {
		time.Sleep(d)
		return os.Getpid(), nil
	})
	// stubbornMarked is stubborn that first says where it runs: it writes
	// its worker's pid and a newline to the file in.Marker.
	stubbornMarked = pool.Register("proc.stubbornMarked", func(ctx context.Context, in holdIn) (int, error) {
		if err := os.WriteFile(in.Marker, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return 0, err
		}
		time.Sleep(in.D)
		return os.Getpid(), nil
	})
	goexit = pool.Register("proc.goexit", func(ctx context.Context, _ struct{}) (int, error) {
		runtime.Goexit()
		return 0, nil
	})
	scribble = pool.Register("proc.scribble", func(ctx context.Context, fd int) (int, error) {
		f := os.NewFile(uintptr(fd), "scribble")
		if _, err := f.Write([]byte("not a frame, not at all\n")); err != nil {
			return 0, err
		}
		time.Sleep(time.Hour) // as a protocol reader would be waiting on it
		return 0, nil
	})
)

type holdIn struct {
	X      int
	D      time.Duration
	Marker string
}

func openProc(t testing.TB, workers int, opts ...pool.Option) (*pool.Pool, *process.Backend) {
	t.Helper()
	return openWith(t, process.Options{Workers: workers}, opts...)
}

func openWith(t testing.TB, o process.Options, opts ...pool.Option) (*pool.Pool, *process.Backend) {
	t.Helper()
	b, err := process.New(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	p := pool.New(b, opts...)
	t.Cleanup(func() { p.Close() })
	return p, b
}

func TestRunsInChildProcesses(t *testing.T) {
	p, b := openProc(t, 2, pool.WithLimit(8))
	ins := make([]struct{}, 50)
	pids, err := pid.Map(context.Background(), p, ins)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, x := range pids {
		if x == os.Getpid() {
			t.Fatal("call ran in the driver process")
		}
		seen[x] = true
	}
	if len(b.PIDs()) != 2 {
		t.Fatalf("PIDs = %v, want 2 workers", b.PIDs())
	}
	for x := range seen {
		if !contains(b.PIDs(), x) {
			t.Fatalf("call ran in pid %d, not one of the workers %v", x, b.PIDs())
		}
	}
}

func TestOpenByURL(t *testing.T) {
	p, err := pool.Open(context.Background(), "process://?workers=1&limit=3")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Limit() != 3 {
		t.Fatalf("Limit = %d, want 3", p.Limit())
	}
	if y, err := double.Call(context.Background(), p, 21); err != nil || y != 42 {
		t.Fatalf("Call = %d, %v", y, err)
	}
	if _, err := pool.Open(context.Background(), "process://?workers=0"); err == nil {
		t.Fatal("workers=0 accepted")
	}
}

func TestMapOrderOverProcesses(t *testing.T) {
	p, _ := openProc(t, 2, pool.WithLimit(16))
	in := make([]int, 2000)
	for i := range in {
		in[i] = i
	}
	out, err := double.Map(context.Background(), p, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range out {
		if y != 2*i {
			t.Fatalf("out[%d] = %d, want %d", i, y, 2*i)
		}
	}
}

func TestStdoutDoesNotCorruptProtocolAndIsForwarded(t *testing.T) {
	var buf syncBuffer
	p, _ := openWith(t, process.Options{Workers: 1, Output: &buf})
	got, err := chatty.Call(context.Background(), p, "hello")
	if err != nil || got != "hello" {
		t.Fatalf("Call = %q, %v", got, err)
	}
	p.Close()
	out := buf.String()
	for _, want := range []string{"[worker 0] to stdout: hello\n", "[worker 0] to stderr: hello\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("forwarded output %q lacks %q", out, want)
		}
	}
}

func TestStdioTransportSendsStdoutToStderr(t *testing.T) {
	var buf syncBuffer
	p, _ := openWith(t, process.Options{Workers: 1, Transport: "stdio", Output: &buf})
	if tr, err := transport.Call(context.Background(), p, struct{}{}); err != nil || tr != "stdio" {
		t.Fatalf("worker's transport = %q, %v; want stdio", tr, err)
	}
	// chatty prints to fd 1, which carried the results before the worker
	// moved them: the call succeeds only if that print went elsewhere.
	got, err := chatty.Call(context.Background(), p, "hello")
	if err != nil || got != "hello" {
		t.Fatalf("Call = %q, %v", got, err)
	}
	p.Close()
	out := buf.String()
	for _, want := range []string{"[worker 0] to stdout: hello\n", "[worker 0] to stderr: hello\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("forwarded output %q lacks %q", out, want)
		}
	}
}

func TestTransportRefusals(t *testing.T) {
	for u, want := range map[string]string{
		"process://?transport=pipes":               "want fd",
		"process://?transport=stdio&stdout=driver": "needs transport=fd",
	} {
		_, err := pool.Open(context.Background(), u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q) = %v, want an error containing %q", u, err, want)
		}
	}
}

func TestPanicInWorkerIsAnErrorAndWorkerSurvives(t *testing.T) {
	p, b := openProc(t, 1)
	before := b.PIDs()
	_, err := explode.Call(context.Background(), p, "kaboom")
	var pe *pool.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || !strings.Contains(pe.Stack, "process_test") {
		t.Fatalf("err = %v, want *PanicError with value and stack", err)
	}
	if y, err := double.Call(context.Background(), p, 1); err != nil || y != 2 {
		t.Fatalf("after panic: %d, %v", y, err)
	}
	if after := b.PIDs(); after[0] != before[0] {
		t.Fatalf("worker was replaced (%v → %v); a panic must not kill it", before, after)
	}
}

func TestCancellationReachesWorker(t *testing.T) {
	p, _ := openProc(t, 1)
	marker := t.TempDir() + "/cancelled"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := hold.Call(ctx, p, holdIn{D: time.Hour, Marker: marker})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // let the call reach the worker
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		// The worker may be between creating the file and writing it.
		if b, err := os.ReadFile(marker); err == nil && len(b) > 0 {
			if !strings.Contains(string(b), "canceled") {
				t.Fatalf("function's context ended with %q, want canceled", b)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the function in the worker never saw its context cancelled")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestTimeoutTravelsToWorker(t *testing.T) {
	p, _ := openProc(t, 1, pool.WithTimeout(50*time.Millisecond), pool.WithRetries(0))
	_, err := hold.Call(context.Background(), p, holdIn{D: time.Hour})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

// onlyInDriver registers a function after the workers started, so that they
// do not know it; once per process, as a name may be registered only once
// (go test -count=N runs the test N times).
var onlyInDriver = sync.OnceValue(func() *pool.Func[int, int] {
	return pool.Register("proc.onlyInDriver", func(ctx context.Context, x int) (int, error) { return x, nil })
})

func TestUnknownFunctionAndBadInput(t *testing.T) {
	_, b := openProc(t, 1)
	ctx := context.Background()
	resp, err := b.Invoke(ctx, &driver.Request{Version: driver.ProtocolVersion, Func: "no.such", ID: 1, Attempt: 1, Codec: "json", Input: []byte("1")})
	if err != nil || resp.Error == nil || resp.Error.Code != driver.CodeUnknownFunction || !strings.Contains(resp.Error.Message, "proc.double") {
		t.Fatalf("unknown function: resp=%+v err=%v; want unknown_function listing registered names", resp, err)
	}
	resp, err = b.Invoke(ctx, &driver.Request{Version: driver.ProtocolVersion, Func: "proc.double", ID: 2, Attempt: 1, Codec: "json", Input: []byte(`"not a number"`)})
	if err != nil || resp.Error == nil || resp.Error.Code != driver.CodeBadInput {
		t.Fatalf("bad input: resp=%+v err=%v; want bad_input", resp, err)
	}
	// Through the pool the same failures are typed errors.
	p := pool.New(b)
	_, err = onlyInDriver().Call(ctx, p, 1)
	if err != nil {
		// Registered after the worker started, so the worker does not know it.
		if !errors.Is(err, pool.ErrUnknownFunction) {
			t.Fatalf("err = %v, want ErrUnknownFunction", err)
		}
	}
	// The worker keeps serving.
	if y, err := double.Call(ctx, p, 4); err != nil || y != 8 {
		t.Fatalf("after bad calls: %d, %v", y, err)
	}
}

func TestOversizedMessage(t *testing.T) {
	p, _ := openWith(t, process.Options{Workers: 1, MaxMessage: 1 << 10})
	_, err := echo.Call(context.Background(), p, make([]byte, 4<<10))
	if !errors.Is(err, pool.ErrTooLarge) || !strings.Contains(err.Error(), "max_message") {
		t.Fatalf("err = %v, want ErrTooLarge naming the max_message parameter", err)
	}
	if n, err := echo.Call(context.Background(), p, make([]byte, 100)); err != nil || n != 100 {
		t.Fatalf("after oversize: %d, %v", n, err)
	}
}

func TestBuildMismatchIsRefused(t *testing.T) {
	p, _ := openWith(t, process.Options{Workers: 1, Env: []string{"BURST_BUILD_ID=some-other-build"}})
	_, err := double.Call(context.Background(), p, 1)
	if !errors.Is(err, pool.ErrBuildMismatch) || !strings.Contains(err.Error(), "builds differ") && !strings.Contains(err.Error(), "redeploy") {
		t.Fatalf("err = %v, want ErrBuildMismatch telling the user to redeploy", err)
	}
}

func TestSIGKILLMidCallLosesNoCall(t *testing.T) {
	p, b := openProc(t, 2, pool.WithLimit(1000), pool.WithBackoff(time.Millisecond, 10*time.Millisecond))
	const n = 1000
	var calls atomic.Int64
	in := make([]holdIn, n)
	for i := range in {
		in[i] = holdIn{X: i, D: time.Duration(50+i%200) * time.Millisecond}
	}
	var out []int
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		out, err = hold.Map(context.Background(), p, in)
		calls.Store(int64(len(out)))
	}()
	// Kill only once the victim demonstrably holds calls: on a loaded machine
	// dispatch may lag any fixed sleep.
	victim := 0
	for deadline := time.Now().Add(30 * time.Second); victim == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("worker 0 never had 100 calls in flight")
		}
		if w := b.Workers()[0]; w.InFlight >= 100 {
			victim = w.PID
		}
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	if err != nil {
		t.Fatalf("Map after SIGKILL: %v", err)
	}
	for i, y := range out {
		if y != i {
			t.Fatalf("out[%d] = %d, want %d: a result went missing or moved", i, y, i)
		}
	}
	st := p.Stats()
	if st.Calls != n || st.Retries == 0 {
		t.Fatalf("Stats = %+v, want %d calls with some retried", st, n)
	}
	if contains(b.PIDs(), victim) || len(b.PIDs()) != 2 {
		t.Fatalf("PIDs = %v; the killed worker %d should have been replaced", b.PIDs(), victim)
	}
}

// A driver running inside a platform (here: Knative's K_SERVICE, Cloud Run
// functions' FUNCTION_TARGET) passes the platform's variables to its
// children; they must still serve their driver over the pipes.
func TestChildInheritingPlatformEnvStillServesDriver(t *testing.T) {
	p, _ := openWith(t, process.Options{Workers: 1, Env: []string{"K_SERVICE=svc", "FUNCTION_TARGET=fn", "CE_APP=app", "PORT=1"}})
	if y, err := double.Call(context.Background(), p, 5); err != nil || y != 10 {
		t.Fatalf("Call = %d, %v", y, err)
	}
}

func TestWorkerWithoutMainFailsClearly(t *testing.T) {
	_, err := process.New(context.Background(), process.Options{Workers: 1, Output: io.Discard,
		Command: []string{"/bin/sh", "-c", "echo no pool.Main here; exit 3"}})
	if err == nil || !strings.Contains(err.Error(), "pool.Main") || !strings.Contains(err.Error(), "no pool.Main here") {
		t.Fatalf("err = %v, want a hint about pool.Main and the worker's output", err)
	}
}

func contains(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// maxOverlap is the largest number of calls whose [Started, Ended] spans
// overlap: how many ran at once, by the workers' own clocks.
func maxOverlap(sts []pool.CallStats) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var es []edge
	for _, s := range sts {
		es = append(es, edge{s.Started, 1}, edge{s.Ended, -1})
	}
	slices.SortFunc(es, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // an end before a start at the same instant
	})
	n, peak := 0, 0
	for _, e := range es {
		n += e.delta
		peak = max(peak, n)
	}
	return peak
}

func recorder() (pool.Option, func() []pool.CallStats) {
	var mu sync.Mutex
	var sts []pool.CallStats
	return pool.WithCallHook(func(s pool.CallStats) { mu.Lock(); sts = append(sts, s); mu.Unlock() }),
		func() []pool.CallStats { mu.Lock(); defer mu.Unlock(); return slices.Clone(sts) }
}

// Calls held waiting beside the workers must never make more than the limit
// run at once, whatever the limit is against the number of workers.
func TestWaitingCallsKeepTheLimit(t *testing.T) {
	for _, tc := range []struct{ workers, limit int }{{2, 2}, {2, 1}, {1, 3}, {3, 2}} {
		t.Run(fmt.Sprintf("workers=%d,limit=%d", tc.workers, tc.limit), func(t *testing.T) {
			hook, got := recorder()
			p, _ := openProc(t, tc.workers, pool.WithLimit(tc.limit), hook)
			ins := make([]holdIn, 30)
			for i := range ins {
				ins[i] = holdIn{X: i, D: time.Duration(5+i%3*5) * time.Millisecond}
			}
			outs, err := hold.Map(context.Background(), p, ins)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range outs {
				if o != i {
					t.Fatalf("outs[%d] = %d", i, o)
				}
			}
			if peak := maxOverlap(got()); peak > tc.limit {
				t.Errorf("%d calls ran at once, limit %d", peak, tc.limit)
			}
		})
	}
}

// A call waiting beside a worker starts when a slot frees anywhere, not
// only when the call ahead of it on that worker ends: short calls must not
// queue behind a long one while another worker is free.
//
// The long call lasts until the shorts are done (not a fixed time a slow
// machine could outlast): a short stuck behind it never ends, and the Map
// fails at its generous deadline.
func TestWaitingCallIsNotStuckBehindALongCall(t *testing.T) {
	p, b := openProc(t, 2, pool.WithLimit(2))
	ctx := context.Background()
	longCtx, endLong := context.WithCancel(ctx)
	defer endLong()
	long := make(chan error, 1)
	go func() { _, err := hold.Call(longCtx, p, holdIn{X: -1, D: time.Hour}); long <- err }()
	for deadline := time.Now().Add(time.Minute); b.Workers()[0].InFlight+b.Workers()[1].InFlight == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the long call did not start within a minute")
		}
	}
	shorts := make([]holdIn, 20)
	for i := range shorts {
		shorts[i] = holdIn{X: i, D: 10 * time.Millisecond}
	}
	mctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if _, err := hold.Map(mctx, p, shorts); err != nil {
		t.Fatalf("short calls beside a long one: %v (waiting behind it?)", err)
	}
	select {
	case err := <-long:
		t.Fatalf("the long call ended (%v) before the shorts", err)
	default:
	}
	endLong()
	if err := <-long; !errors.Is(err, context.Canceled) {
		t.Fatalf("long call: %v, want context.Canceled", err)
	}
}

// The timeout bounds a call from its start: time spent waiting beside a busy
// worker is not charged to it.
func TestTimeoutCountsFromStart(t *testing.T) {
	p, _ := openProc(t, 1, pool.WithLimit(1), pool.WithTimeout(2*time.Second), pool.WithRetries(0))
	ins := make([]holdIn, 4) // the last waits 3 × 900 ms before it starts
	for i := range ins {
		ins[i] = holdIn{X: i, D: 900 * time.Millisecond}
	}
	if _, err := hold.Map(context.Background(), p, ins); err != nil {
		t.Fatalf("a call timed out while waiting to start: %v", err)
	}
}

// Cancelling a call that is waiting beside a worker removes it there: it
// never runs, and the worker goes on with the rest.
func TestCancelWaitingCall(t *testing.T) {
	p, _ := openProc(t, 1, pool.WithLimit(1))
	ctx := context.Background()
	// The busy call lasts until the waiting one was cancelled, however
	// slow the machine: then the waiting one cannot have started.
	busyCtx, endBusy := context.WithCancel(ctx)
	defer endBusy()
	busy := make(chan error, 1)
	go func() { _, err := hold.Call(busyCtx, p, holdIn{D: time.Hour}); busy <- err }()
	time.Sleep(100 * time.Millisecond)
	marker := t.TempDir() + "/ran"
	cctx, cancel := context.WithCancel(ctx)
	waited := make(chan error, 1)
	go func() { _, err := hold.Call(cctx, p, holdIn{D: time.Hour, Marker: marker}); waited <- err }()
	time.Sleep(100 * time.Millisecond) // it waits beside the busy worker
	cancel()
	if err := <-waited; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	endBusy()
	if err := <-busy; !errors.Is(err, context.Canceled) {
		t.Fatalf("busy call: %v, want context.Canceled", err)
	}
	if n, err := double.Call(ctx, p, 21); err != nil || n != 42 {
		t.Fatalf("after the cancel: %d, %v", n, err)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the cancelled call ran")
	}
}

// A function that ignores its context keeps its worker only for the grace
// period after its deadline: then the worker is replaced, and the next call,
// which has no deadline, does not hang.
//
// The grace period leaves the calls that run beside the stuck one time to
// end on a busy machine: one still running at the kill would be lost with
// the worker (retries are off).
func TestContextIgnoringCallLosesNoWorker(t *testing.T) {
	p, b := openWith(t, process.Options{Workers: 1, Grace: 3 * time.Second}, pool.WithRetries(0))
	before := b.PIDs()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := stubborn.Call(ctx, p, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() {
		y, err := double.Call(context.Background(), p, 21)
		if err == nil && y != 42 {
			err = fmt.Errorf("got %d, want 42", y)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the call after a context-ignoring one hung: the worker was lost to it")
	}
	// The call ran beside the stuck one, which holds no slot; the worker
	// itself is replaced once the grace period is over.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if after := b.PIDs(); len(after) == 1 && after[0] != before[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("PIDs %v → %v: the stuck worker should have been replaced", before, b.PIDs())
		}
	}
	// The same through the pool's timeout rather than the caller's deadline.
	p2 := p.With(pool.WithTimeout(100 * time.Millisecond))
	if _, err := stubborn.Call(context.Background(), p2, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if y, err := double.Call(context.Background(), p, 1); err != nil || y != 2 {
		t.Fatalf("after a timed-out stubborn call: %d, %v", y, err)
	}
}

// Calls waiting beside a worker that is killed for a stuck call had not
// started: they go to the replacement as they are, without costing an
// attempt (retries are off here).
//
// Once the stuck call's deadline passes it holds no slot, and the waiting
// calls run beside it, one at a time; one running when the worker is
// killed is lost with it (and, retries being off, fails). The grace period
// is long enough for the five short calls on a busy machine: with 300 ms,
// beside two CPU hogs, one was still running at the kill in 1 of 4 runs.
func TestCallsWaitingOnAStuckWorkerGoElsewhere(t *testing.T) {
	p, _ := openWith(t, process.Options{Workers: 1, Grace: 3 * time.Second}, pool.WithRetries(0), pool.WithLimit(1))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	stuck := make(chan error, 1)
	go func() { _, err := stubborn.Call(ctx, p, time.Hour); stuck <- err }()
	time.Sleep(50 * time.Millisecond)
	g, _ := pool.WithContext(context.Background(), p)
	var futs []*pool.Future[int]
	for i := range 5 {
		futs = append(futs, double.Go(g, i))
	}
	if err := g.Wait(); err != nil {
		t.Fatalf("calls waiting behind a stuck call: %v", err)
	}
	for i, f := range futs {
		y, _ := f.Get(context.Background())
		if y != 2*i || f.Stats().Attempts != 1 {
			t.Fatalf("call %d: %d after %d attempts, want %d after 1", i, y, f.Stats().Attempts, 2*i)
		}
	}
	if err := <-stuck; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("stuck call: %v, want DeadlineExceeded", err)
	}
}

var exit = pool.Register("proc.exit", func(ctx context.Context, code int) (int, error) {
	fmt.Fprintln(os.Stderr, "leaving with", code)
	os.Exit(code)
	return 0, nil
})

// A function that ends its worker (os.Exit, a panic in a goroutine) fails
// its call with how the worker ended and what it printed last; the error
// said only "died", the cause being in the log alone.
func TestWorkerExitSaysHow(t *testing.T) {
	var out bytes.Buffer
	var mu sync.Mutex
	p, _ := openWith(t, process.Options{Workers: 1, Output: lockedWriter{&mu, &out}}, pool.WithRetries(0))
	_, err := exit.Call(context.Background(), p, 7)
	if !errors.Is(err, pool.ErrWorkerLost) || !strings.Contains(err.Error(), "exit status 7") || !strings.Contains(err.Error(), "leaving with 7") {
		t.Fatalf("err = %v, want ErrWorkerLost saying exit status 7 and the worker's last output", err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestGoexitEndsCallAndReplacesWorker(t *testing.T) {
	p, b := openWith(t, process.Options{Workers: 1}, pool.WithRetries(0))
	before := b.PIDs()
	done := make(chan error, 1)
	go func() { _, err := goexit.Call(context.Background(), p, struct{}{}); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "runtime.Goexit") || errors.Is(err, pool.ErrWorkerLost) {
			t.Fatalf("err = %v, want an error naming runtime.Goexit", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a call that ran runtime.Goexit hung")
	}
	ran, err := pid.Call(context.Background(), p, struct{}{})
	if err != nil {
		t.Fatalf("after Goexit: %v", err)
	}
	if after := b.PIDs(); after[0] == before[0] || ran == before[0] {
		t.Fatalf("PIDs %v → %v, next call ran in %d: the worker should have been replaced", before, after, ran)
	}
}

func TestWriteToProtocolDescriptorEndsCall(t *testing.T) {
	for _, fd := range []int{3, 4} {
		t.Run(fmt.Sprintf("fd%d", fd), func(t *testing.T) {
			p, b := openWith(t, process.Options{Workers: 1}, pool.WithRetries(0))
			before := b.PIDs()
			done := make(chan error, 1)
			go func() { _, err := scribble.Call(context.Background(), p, fd); done <- err }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), "protocol descriptors") {
					t.Fatalf("err = %v, want an error about writing to the protocol descriptors", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("a call that wrote to the protocol descriptor hung")
			}
			ran, err := pid.Call(context.Background(), p, struct{}{})
			if err != nil {
				t.Fatalf("after the write: %v", err)
			}
			if after := b.PIDs(); after[0] == before[0] || ran == before[0] {
				t.Fatalf("PIDs %v → %v, next call ran in %d: the worker should have been replaced", before, after, ran)
			}
		})
	}
}

// A worker told to stop with SIGTERM stops, even with a call running that
// ignores its context; the call is lost with the worker (and retried, were
// retries on).
func TestWorkerHonoursSIGTERM(t *testing.T) {
	p, _ := openWith(t, process.Options{Workers: 1, Grace: 200 * time.Millisecond}, pool.WithRetries(0))
	marker := filepath.Join(t.TempDir(), "running")
	done := make(chan error, 1)
	go func() {
		_, err := stubbornMarked.Call(context.Background(), p, holdIn{D: time.Hour, Marker: marker})
		done <- err
	}()
	// Signal the worker once the call runs there, not once it was sent: a
	// worker told to stop before it starts a call refuses it, and the
	// driver rightly gives the call to the replacement (where it then
	// sleeps for an hour).
	var victim int
	for deadline := time.Now().Add(2 * time.Minute); victim == 0; time.Sleep(5 * time.Millisecond) {
		if b, err := os.ReadFile(marker); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			victim, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("the call did not start within 2 min")
		}
	}
	if err := syscall.Kill(victim, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, pool.ErrWorkerLost) {
			t.Fatalf("err = %v, want ErrWorkerLost", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the worker ignored SIGTERM")
	}
	waitGone(t, victim)
}

const envDriver = "PROC_TEST_DRIVER"

// runDriver is this test binary run as a driver by the orphan test: it
// starts workers, gives each a call that ignores its context, prints the
// workers' pids and waits to be killed.
func runDriver() {
	b, err := process.New(context.Background(), process.Options{Workers: 2})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	p := pool.New(b, pool.WithLimit(2))
	for range 2 {
		go stubborn.Call(context.Background(), p, time.Hour)
	}
	for b.Workers()[0].InFlight+b.Workers()[1].InFlight < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	for _, pid := range b.PIDs() {
		fmt.Println(pid)
	}
	select {}
}

// Workers die with their driver, even when it is killed with SIGKILL and
// they are running calls that ignore their context.
func TestNoOrphansAfterDriverSIGKILL(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envDriver+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pids []int
	for len(pids) < 2 {
		var line string
		if _, err := fmt.Fscanln(out, &line); err != nil {
			cmd.Process.Kill()
			t.Fatalf("driver: %v", err)
		}
		pid, err := strconv.Atoi(line)
		if err != nil {
			cmd.Process.Kill()
			t.Fatalf("driver said %q", line)
		}
		pids = append(pids, pid)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	for _, pid := range pids {
		waitGone(t, pid)
	}
}

// waitGone waits until process pid no longer runs (a zombie waiting for a
// reaper counts as gone).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil && syscall.Kill(pid, 0) != nil {
			return
		}
		if err == nil {
			if i := bytes.LastIndexByte(stat, ')'); i > 0 && i+2 < len(stat) && stat[i+2] == 'Z' {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker %d still runs", pid)
		}
	}
}

func TestStdoutToTheDriversStdout(t *testing.T) {
	var out, errs syncBuffer
	p, _ := openWith(t, process.Options{Workers: 1, Output: &errs, Stdout: &out})
	if _, err := chatty.Call(context.Background(), p, "hello"); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if got := out.String(); got != "to stdout: hello\n" {
		t.Errorf("stdout = %q, want the function's line as printed", got)
	}
	if got := errs.String(); !strings.Contains(got, "[worker 0] to stderr: hello\n") || strings.Contains(got, "to stdout") {
		t.Errorf("stderr = %q, want only the stderr line, prefixed", got)
	}
	if _, err := pool.Open(context.Background(), "process://?stdout=yes"); err == nil || !strings.Contains(err.Error(), "driver") {
		t.Errorf("stdout=yes: %v, want an error naming the accepted value", err)
	}
}

// inFlight is how many calls the workers have been sent and not answered:
// those running and those waiting beside them.
func inFlight(b *process.Backend) int {
	n := 0
	for _, w := range b.Workers() {
		n += w.InFlight
	}
	return n
}

// Once calls are seen to be trivial, many wait beside each worker, so that
// they travel in batches: what lets the plain URL map tens of thousands of
// calls a second. The limit on calls running at once holds all the same.
func TestTrivialCallsWaitInDepth(t *testing.T) {
	hook, got := recorder()
	p, b := openProc(t, 2, hook) // the defaults: limit 2
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The depth follows the calls' measured durations, and on a loaded
	// machine a preempted trivial call can measure as a long one: a few
	// tries, each starting from fresh trivial calls.
	peak := 0
	for try := 0; try < 5 && peak <= 4; try++ {
		if _, err := double.Map(ctx, p, make([]int, 2000)); err != nil {
			t.Fatal(err)
		}
		ins := make([]holdIn, 40)
		for i := range ins {
			ins[i] = holdIn{X: i, D: 50 * time.Millisecond}
		}
		done := make(chan error, 1)
		go func() { _, err := hold.Map(ctx, p, ins); done <- err }()
		for running := true; running; {
			peak = max(peak, inFlight(b))
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				running = false
			case <-time.After(time.Millisecond):
			}
		}
	}
	if peak <= 4 {
		t.Errorf("after trivial calls, at most %d calls were at the workers; want more than one waiting per slot (4)", peak)
	}
	// The long calls pull the average up: the rest wait one per slot.
	if over := maxOverlap(got()); over > 2 {
		t.Errorf("%d calls ran at once, limit 2", over)
	}
}

// Calls of a millisecond and more wait one per worker slot beside the
// workers and the rest in the driver, so that no call is tied to a worker
// before that worker is about to be free (remd's segments).
func TestLongCallsWaitOnePerSlot(t *testing.T) {
	p, b := openProc(t, 2)
	ctx := context.Background()
	warm := make([]holdIn, 4)
	for i := range warm {
		warm[i] = holdIn{X: i, D: 20 * time.Millisecond}
	}
	if _, err := hold.Map(ctx, p, warm); err != nil {
		t.Fatal(err)
	}
	ins := make([]holdIn, 30)
	for i := range ins {
		ins[i] = holdIn{X: i, D: 20 * time.Millisecond}
	}
	done := make(chan error, 1)
	go func() { _, err := hold.Map(ctx, p, ins); done <- err }()
	peak := 0
	for {
		peak = max(peak, inFlight(b))
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			if peak > 4 {
				t.Errorf("%d calls were at the workers at once; want at most 2 running and 2 waiting", peak)
			}
			return
		case <-time.After(time.Millisecond):
		}
	}
}

// With as many slots as workers, a worker that runs out of calls must get
// the next one: no worker may run two calls while another runs none. The
// calls come as remd's do, one more in flight than the workers (each
// caller makes its next call when its last returns), which used to leave
// one worker idle for good: a worker whose call ended with nothing waiting
// beside it had the driver promote the call waiting beside the other,
// which then ran two at once and, being the only worker running anything,
// got every waiting call after that and started them itself.
func TestIdleWorkerGetsTheNextCall(t *testing.T) {
	for _, workers := range []int{2, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			hook, got := recorder()
			p, _ := openProc(t, workers, hook) // the defaults: limit = workers
			ctx := context.Background()
			const perCaller = 12
			var wg sync.WaitGroup
			errs := make(chan error, workers+1)
			for c := range workers + 1 {
				wg.Go(func() {
					for i := range perCaller {
						if _, err := hold.Call(ctx, p, holdIn{X: c*perCaller + i, D: 20 * time.Millisecond}); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			byWorker := map[string][]pool.CallStats{}
			for _, s := range got() {
				byWorker[s.Worker] = append(byWorker[s.Worker], s)
			}
			total := (workers + 1) * perCaller
			for w, sts := range byWorker {
				if peak := maxOverlap(sts); peak > 1 {
					t.Errorf("worker %s ran %d calls at once (limit %d over %d workers)", w, peak, workers, workers)
				}
			}
			if len(byWorker) < workers {
				t.Errorf("%d of %d workers ran calls", len(byWorker), workers)
			}
			for w, sts := range byWorker {
				if len(sts) < total/(2*workers) {
					t.Errorf("worker %s ran %d of %d calls; want at least %d", w, len(sts), total, total/(2*workers))
				}
			}
			if t.Failed() {
				for w, sts := range byWorker {
					t.Logf("worker %s: %d calls", w, len(sts))
				}
			}
		})
	}
}

var procs = pool.Register("proc.gomaxprocs", func(ctx context.Context, _ struct{}) (int, error) { return runtime.GOMAXPROCS(0), nil })

// Workers share the machine: each runs with GOMAXPROCS = NumCPU / Workers
// (at least 1), unless the environment sets GOMAXPROCS, which wins.
func TestWorkersShareTheCPUs(t *testing.T) {
	ctx := context.Background()
	for _, workers := range []int{1, 2, 3} {
		if os.Getenv("GOMAXPROCS") != "" {
			break // the driver's own setting is the workers'
		}
		p, _ := openProc(t, workers)
		got, err := procs.Call(ctx, p, struct{}{})
		if err != nil {
			t.Fatal(err)
		}
		if want := max(1, runtime.NumCPU()/workers); got != want {
			t.Errorf("workers=%d on %d CPUs: a worker's GOMAXPROCS is %d, want %d", workers, runtime.NumCPU(), got, want)
		}
	}
	p, _ := openWith(t, process.Options{Workers: 1, Env: []string{"GOMAXPROCS=3"}})
	if got, err := procs.Call(ctx, p, struct{}{}); err != nil || got != 3 {
		t.Errorf("Env GOMAXPROCS=3: a worker's GOMAXPROCS is %d (%v), want 3", got, err)
	}
}
