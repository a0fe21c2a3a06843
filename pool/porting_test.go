package pool_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
)

// The errgroup example's result type: with unexported fields, it used to
// cross the JSON codec as {} and print empty lines.
type result struct {
	path string
	sum  [16]byte
}

type work struct {
	Name string
	Out  chan int
}

type withErr struct{ Err error }

type withFunc struct{ Next func() }

type withUnsafe struct{ P unsafe.Pointer }

func TestRegisterRefusesTypesThatWouldNotRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name     string
		register func()
		want     string
	}{
		{"unexported", func() {
			pool.Register("porting.result", func(ctx context.Context, path string) (result, error) { return result{}, nil })
		}, `pool: Register("porting.result"): output type pool_test.result.path: unexported field would be dropped`},
		{"chan", func() {
			pool.Register("porting.work", func(ctx context.Context, w work) (int, error) { return 0, nil })
		}, "input type pool_test.work.Out: chan int cannot be encoded"},
		{"error field", func() {
			pool.Register("porting.err", func(ctx context.Context, x int) (withErr, error) { return withErr{}, nil })
		}, "output type pool_test.withErr.Err: an error value cannot be restored"},
		{"func", func() {
			pool.Register("porting.func", func(ctx context.Context, x []withFunc) (int, error) { return 0, nil })
		}, "input type []pool_test.withFunc[].Next: func() cannot be encoded"},
		{"unsafe", func() {
			pool.Register("porting.unsafe", func(ctx context.Context, x map[string]*withUnsafe) (int, error) { return 0, nil })
		}, "input type map[string]*pool_test.withUnsafe[].P: unsafe.Pointer cannot be encoded"},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(r.(string), c.want) {
					t.Fatalf("Register panicked with %v, want %q", r, c.want)
				}
			}()
			c.register()
		})
	}
}

var double = pool.Register("porting.double", func(ctx context.Context, x int) (int, error) {
	if x < 0 {
		return 0, errors.New("negative")
	}
	return 2 * x, nil
})

// A pipeline as errgroup programs write it: a local producer, remote work,
// a local consumer, in one group.
func TestGoLocalPipeline(t *testing.T) {
	for _, url := range []string{"local://", "local://?encode=1", "process://?workers=2"} {
		t.Run(url, func(t *testing.T) {
			p := open(t, url)
			g, _ := pool.WithContext(context.Background(), p)
			in, out := make(chan int), make(chan int)
			g.GoLocal(func(ctx context.Context) error {
				defer close(in)
				for i := range 100 {
					select {
					case in <- i:
					case <-ctx.Done():
						return ctx.Err()
					}
				}
				return nil
			})
			var workers atomic.Int32
			workers.Store(4)
			for range 4 {
				g.GoLocal(func(ctx context.Context) error {
					defer func() {
						if workers.Add(-1) == 0 {
							close(out)
						}
					}()
					for x := range in {
						y, err := double.Call(ctx, nil, x) // the pool from the group's context
						if err != nil {
							return err
						}
						out <- y
					}
					return nil
				})
			}
			sum := 0
			for y := range out {
				sum += y
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			if sum != 2*99*100/2 {
				t.Fatalf("sum = %d, want %d", sum, 99*100)
			}
		})
	}
}

func TestGoLocalErrorCancelsCalls(t *testing.T) {
	p := open(t, "process://?workers=2")
	g, ctx := pool.WithContext(context.Background(), p)
	slow := sleepy.Go(g, 3600e9)
	stop := errors.New("the walker failed")
	g.GoLocal(func(ctx context.Context) error { return stop })
	if err := g.Wait(); !errors.Is(err, stop) {
		t.Fatalf("Wait = %v, want the local error", err)
	}
	if !errors.Is(context.Cause(ctx), stop) {
		t.Fatalf("cause = %v", context.Cause(ctx))
	}
	if _, err := slow.Get(context.Background()); err == nil {
		t.Fatal("the remote call was not cancelled by the local failure")
	}
	// And the other way round: a failed call cancels the local stage.
	g, _ = pool.WithContext(context.Background(), p)
	var sawCancel atomic.Bool
	g.GoLocal(func(ctx context.Context) error {
		<-ctx.Done()
		sawCancel.Store(true)
		return nil
	})
	double.Go(g, -1)
	if err := g.Wait(); err == nil || !strings.Contains(err.Error(), "negative") || !sawCancel.Load() {
		t.Fatalf("Wait = %v, local stage cancelled: %v", err, sawCancel.Load())
	}
}

func TestCallWithoutPool(t *testing.T) {
	_, err := double.Call(context.Background(), nil, 1)
	if !errors.Is(err, pool.ErrNoPool) {
		t.Fatalf("err = %v, want pool.ErrNoPool", err)
	}
	p := open(t, "local://")
	if y, err := double.Call(pool.NewContext(context.Background(), p), nil, 4); err != nil || y != 8 {
		t.Fatalf("Call with the pool in ctx = %d, %v", y, err)
	}
	ys, err := double.Map(pool.NewContext(context.Background(), p), nil, []int{1, 2})
	if err != nil || ys[1] != 4 {
		t.Fatalf("Map = %v, %v", ys, err)
	}
}
