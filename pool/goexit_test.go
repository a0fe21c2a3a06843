package pool_test

import (
	"context"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

var quits = pool.Register("test.quits", func(ctx context.Context, _ int) (int, error) {
	runtime.Goexit()
	return 0, nil
})

// An in-process function that ends its goroutine with runtime.Goexit fails
// its call, and frees the call's slot: with a limit of 1, the next call
// runs. The call's path lost its deferred end (slot, statistics) when it
// was split for the asynchronous path, and the next call waited for ever.
func TestGoexitFreesTheSlot(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(1))
	ctx := context.Background()
	g, _ := pool.WithContext(ctx, p)
	f := quits.Go(g, 0)
	if err := g.Wait(); err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Group = %v, want the Goexit error", err)
	}
	if _, err := f.Get(ctx); err == nil {
		t.Fatal("the Goexit call succeeded")
	}
	if _, err := quits.Map(ctx, p, []int{1}); err == nil || !strings.Contains(err.Error(), "Goexit") {
		t.Fatalf("Map = %v, want the Goexit error", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second) // a guard against a hang, not a bound on the call
	defer cancel()
	if y, err := square.Call(cctx, p, 3); y != 9 || err != nil {
		t.Fatalf("call after the Goexit calls = %d, %v: their slot was never freed", y, err)
	}
	if st := p.Stats(); st.Calls != 3 {
		t.Fatalf("Stats = %+v, want 3 calls recorded", st)
	}
}
