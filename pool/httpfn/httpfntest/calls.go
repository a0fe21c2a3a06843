package httpfntest

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

// Functions every test binary importing this package has registered, so a
// worker re-executed from it can run them.
var (
	Square = pool.Register("httpfntest.square", func(ctx context.Context, x int) (int, error) { return x * x, nil })
	PID    = pool.Register("httpfntest.pid", func(ctx context.Context, _ struct{}) (int, error) { return os.Getpid(), nil })
	Fail   = pool.Register("httpfntest.fail", func(ctx context.Context, s string) (int, error) { return 0, errors.New(s) })
	Boom   = pool.Register("httpfntest.boom", func(ctx context.Context, s string) (int, error) { panic(s) })
	Sleep  = pool.Register("httpfntest.sleep", func(ctx context.Context, d time.Duration) (int, error) {
		select {
		case <-time.After(d):
			return 1, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
)

// TestCalls checks the basics of a backend through p, whose worker is
// another process: results in input order, a function's error, a panic, and a
// cancelled call returning promptly.
func TestCalls(t *testing.T, p *pool.Pool) {
	ctx := context.Background()
	ins := make([]int, 100)
	for i := range ins {
		ins[i] = i
	}
	got, err := Square.Map(ctx, p, ins)
	if err != nil {
		t.Fatalf("Map: %v", err)
	}
	for i, y := range got {
		if y != i*i {
			t.Fatalf("Map: out[%d] = %d, want %d", i, y, i*i)
		}
	}
	if wp, err := PID.Call(ctx, p, struct{}{}); err != nil || wp == os.Getpid() {
		t.Errorf("call ran in pid %d (%v); want a worker process, not the driver %d", wp, err, os.Getpid())
	}
	_, err = Fail.Call(ctx, p, "no good")
	var re *pool.RemoteError
	if !errors.As(err, &re) || re.Message != "no good" {
		t.Errorf("function error = %v, want RemoteError %q", err, "no good")
	}
	_, err = Boom.Call(ctx, p, "kaboom")
	var pe *pool.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" {
		t.Errorf("panic = %v, want PanicError kaboom", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := Sleep.Call(cctx, p, time.Minute); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled call: err = %v, want DeadlineExceeded", err)
	}
}
