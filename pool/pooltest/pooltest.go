// Package pooltest is the conformance suite for pool backends: the definition
// of what a backend must do. Every backend's tests call Run with a Harness
// that opens pools on it; the suite's functions are registered at package
// level, so a worker that is the test binary knows them.
//
//	func TestConformance(t *testing.T) {
//		pooltest.Run(t, pooltest.Harness{
//			Open: func(t *testing.T, opts ...pool.Option) *pool.Pool { ... },
//		})
//	}
package pooltest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
)

// Harness tells the suite how to reach the backend under test.
type Harness struct {
	// Open returns a new pool on the backend with the given options; the
	// harness closes it when the test ends.
	Open func(t *testing.T, opts ...pool.Option) *pool.Pool
	// OpenOtherBuild returns a pool whose workers run another build (for
	// instance with BURST_BUILD_ID set in their environment). Nil only for
	// in-process backends, where driver and worker cannot differ.
	OpenOtherBuild func(t *testing.T) *pool.Pool
	// Spill is a payload store the backend's workers also read and write,
	// with SpillThreshold the size above which they spill results. Nil for
	// backends with no message limit worth spilling for.
	Spill          driver.PayloadStore
	SpillThreshold int
	// Remote is true when calls cross a process boundary, so errors arrive as
	// *pool.RemoteError rather than the function's own type.
	Remote bool
	// CancelReachesFunction is true when a cancelled call's function sees
	// its context end (in process, process workers, HTTP functions), false
	// where the platform cannot cancel a running invocation. Run sets it
	// for a backend that says so (driver.Canceller).
	CancelReachesFunction bool
	// NoGoexit skips the runtime.Goexit check, for backends whose worker
	// side cannot survive it yet.
	NoGoexit bool
	// InProcess is true when the workers are this process (local:// with
	// encoding), so in-memory stores are the driver's own.
	InProcess bool
	// Extra runs backend-specific checks (signature rejection, …) as one more
	// subtest.
	Extra func(t *testing.T)

	// openFresh is the harness's own Open, which Run replaces with views
	// of one pool: a new pool of fresh workers for checks that leave a
	// worker to be killed.
	openFresh func(t *testing.T, opts ...pool.Option) *pool.Pool
}

// The suite's functions.
var (
	Square = pool.Register("pooltest.square", func(ctx context.Context, x int) (int, error) { return x * x, nil })
	Fail   = pool.Register("pooltest.fail", func(ctx context.Context, msg string) (int, error) {
		return 0, &Error{Msg: msg}
	})
	Panic = pool.Register("pooltest.panic", func(ctx context.Context, msg string) (int, error) { panic(msg) })
	Sleep = pool.Register("pooltest.sleep", func(ctx context.Context, d time.Duration) (time.Duration, error) {
		select {
		case <-time.After(d):
			return d, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	// Grow returns its input repeated n times: large inputs and outputs.
	Grow = pool.Register("pooltest.grow", func(ctx context.Context, in GrowIn) ([]byte, error) {
		return bytes.Repeat(in.Data, in.N), nil
	})
)

// Error is the suite's own error type.
type Error struct{ Msg string }

func (e *Error) Error() string { return "pooltest: " + e.Msg }

// GrowIn is Grow's input.
type GrowIn struct {
	Data []byte
	N    int
}

// Run runs the whole suite. It opens one pool and gives each check a view of
// it (pool.With), because starting workers is the slow part of most backends.
func Run(t *testing.T, h Harness) {
	base := h.Open(t)
	h.openFresh = h.Open
	h.Open = func(t *testing.T, opts ...pool.Option) *pool.Pool { return base.With(opts...) }
	t.Run("MapKeepsOrder", func(t *testing.T) { testOrder(t, h) })
	t.Run("FunctionError", func(t *testing.T) { testFunctionError(t, h) })
	t.Run("Panic", func(t *testing.T) { testPanic(t, h) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, h) })
	t.Run("Timeout", func(t *testing.T) { testTimeout(t, h) })
	t.Run("UnknownFunctionAndBadInput", func(t *testing.T) { testProtocolErrors(t, h) })
	t.Run("LargePayloadSpill", func(t *testing.T) { testSpill(t, h) })
	t.Run("BuildMismatch", func(t *testing.T) { testBuildMismatch(t, h) })
	t.Run("Group", func(t *testing.T) { testGroup(t, h) })
	t.Run("ExactValues", func(t *testing.T) { testExactValues(t, h) })
	t.Run("ErrorIdentity", func(t *testing.T) { testErrorIdentity(t, h) })
	t.Run("SharedMemRefusedInWorkers", func(t *testing.T) { testSharedMem(t, h) })
	t.Run("StorageMemRefusedInWorkers", func(t *testing.T) { testStorageMem(t, h) })
	var c driver.Canceller
	if base.As(&c) && c.CancelsCalls() {
		h.CancelReachesFunction = true
	}
	t.Run("Pipeline", func(t *testing.T) { testPipeline(t, h) })
	t.Run("RegisterRefusesLossyTypes", func(t *testing.T) { testRegisterRefuses(t, h) })
	runRobust(t, h)
	if h.Extra != nil {
		t.Run("Extra", h.Extra)
	}
}

func testOrder(t *testing.T, h Harness) {
	p := h.Open(t, pool.WithLimit(8))
	in := make([]int, 300)
	for i := range in {
		in[i] = i - 150
	}
	out, err := Square.Map(context.Background(), p, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range out {
		if y != in[i]*in[i] {
			t.Fatalf("out[%d] = %d, want %d", i, y, in[i]*in[i])
		}
	}
	if st := p.Stats(); st.Calls != int64(len(in)) || st.Failed != 0 {
		t.Fatalf("Stats = %+v, want %d calls, none failed", st, len(in))
	}
}

func testFunctionError(t *testing.T, h Harness) {
	p := h.Open(t)
	_, err := Fail.Call(context.Background(), p, "no luck")
	var ce *pool.CallError
	if !errors.As(err, &ce) || ce.Func != "pooltest.fail" || ce.Attempts != 1 {
		t.Fatalf("err = %v, want a *pool.CallError for pooltest.fail after one attempt", err)
	}
	if !strings.Contains(err.Error(), "pooltest: no luck") {
		t.Fatalf("err = %q, want the function's message", err)
	}
	if h.Remote {
		var re *pool.RemoteError
		if !errors.As(err, &re) || re.Code != driver.CodeFunction || re.Type != "*pooltest.Error" {
			t.Fatalf("err = %#v, want *pool.RemoteError with the original type name", err)
		}
	} else {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("err = %v, want the function's own *pooltest.Error in process", err)
		}
	}
}

func testPanic(t *testing.T, h Harness) {
	p := h.Open(t)
	_, err := Panic.Call(context.Background(), p, "oh no")
	var pe *pool.PanicError
	if !errors.As(err, &pe) || pe.Value != "oh no" || !strings.Contains(pe.Stack, "pooltest") {
		t.Fatalf("err = %v, want *pool.PanicError with value and stack", err)
	}
	if y, err := Square.Call(context.Background(), p, 7); err != nil || y != 49 {
		t.Fatalf("after a panic: %d, %v; the worker must survive", y, err)
	}
}

func testCancel(t *testing.T, h Harness) {
	p := h.Open(t)
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Sleep.Call(ctx, p, time.Hour)
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	stop := errors.New("stopped by the test")
	cancel(stop)
	select {
	case err := <-done:
		if !errors.Is(err, stop) && !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want the cancellation cause", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a cancelled call did not return")
	}
}

func testTimeout(t *testing.T, h Harness) {
	p := h.Open(t, pool.WithTimeout(200*time.Millisecond), pool.WithRetries(0))
	_, err := Sleep.Call(context.Background(), p, time.Hour)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	// A call well within its timeout succeeds; the margin is wide because a
	// loaded CI machine or an emulator can take a while to answer.
	p = h.Open(t, pool.WithTimeout(30*time.Second), pool.WithRetries(0))
	if d, err := Sleep.Call(context.Background(), p, time.Millisecond); err != nil || d != time.Millisecond {
		t.Fatalf("a call within the timeout: %v, %v", d, err)
	}
}

func testProtocolErrors(t *testing.T, h Harness) {
	p := h.Open(t)
	var b driver.Backend
	if !p.As(&b) {
		t.Fatal("p.As(*driver.Backend) = false, want the pool's backend")
	}
	ctx := context.Background()
	req := func(fn string, input string) *driver.Request {
		r := &driver.Request{Version: driver.ProtocolVersion, Func: fn, Job: p.Job(), ID: 1, Attempt: 1, Codec: "json",
			Build: driver.BuildID(), Input: []byte(input)}
		if d, ok := ctx.Deadline(); ok {
			r.Deadline = d.UnixNano()
		}
		return r
	}
	resp, err := b.Invoke(ctx, req("pooltest.no-such-function", "1"))
	if err != nil || resp.Error == nil || resp.Error.Code != driver.CodeUnknownFunction ||
		!strings.Contains(resp.Error.Message, "pooltest.square") {
		t.Fatalf("unknown function: %+v, %v; want unknown_function listing the registered names", resp, err)
	}
	resp, err = b.Invoke(ctx, req("pooltest.square", `"seven"`))
	if err != nil || resp.Error == nil || resp.Error.Code != driver.CodeBadInput {
		t.Fatalf("bad input: %+v, %v; want bad_input", resp, err)
	}
	if y, err := Square.Call(ctx, p, 5); err != nil || y != 25 {
		t.Fatalf("after protocol errors: %d, %v; the worker must keep serving", y, err)
	}
}

func testSpill(t *testing.T, h Harness) {
	if h.Spill == nil {
		t.Log("not applicable: this backend has no message limit that calls for spilling")
		return
	}
	p := h.Open(t, pool.WithSpill(h.Spill, h.SpillThreshold))
	big := bytes.Repeat([]byte("burst!"), h.SpillThreshold/3+1) // input over the threshold
	out, err := Grow.Call(context.Background(), p, GrowIn{Data: big, N: 2})
	if err != nil {
		t.Fatalf("spilled call: %v", err)
	}
	if want := bytes.Repeat(big, 2); !bytes.Equal(out, want) {
		t.Fatalf("spilled call returned %d bytes, want %d", len(out), len(want))
	}
	if st := p.Stats(); st.BytesIn <= int64(h.SpillThreshold) {
		t.Fatalf("BytesIn = %d: the input was not over the threshold %d", st.BytesIn, h.SpillThreshold)
	}
}

func testBuildMismatch(t *testing.T, h Harness) {
	if h.OpenOtherBuild == nil {
		t.Log("not applicable: driver and worker are one process")
		return
	}
	p := h.OpenOtherBuild(t)
	_, err := Square.Call(context.Background(), p, 2)
	if !errors.Is(err, driver.ErrBuildMismatch) {
		t.Fatalf("err = %v, want driver.ErrBuildMismatch", err)
	}
	if !strings.Contains(err.Error(), "redeploy") {
		t.Fatalf("err = %q, want advice to redeploy", err)
	}
}

func testGroup(t *testing.T, h Harness) {
	p := h.Open(t, pool.WithLimit(4))
	g, ctx := pool.WithContext(context.Background(), p)
	slow := Sleep.Go(g, time.Hour)
	Fail.Go(g, "first")
	if err := g.Wait(); err == nil || !strings.Contains(err.Error(), "first") {
		t.Fatalf("Wait = %v, want the first failure", err)
	}
	if cause := context.Cause(ctx); cause == nil || !strings.Contains(cause.Error(), "first") {
		t.Fatalf("context.Cause = %v, want the first failure", cause)
	}
	if _, err := slow.Get(context.Background()); err == nil {
		t.Fatal("the slow call in the failed group was not cancelled")
	}
}
