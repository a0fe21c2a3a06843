package pool_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
)

var (
	gate = pool.Register("test.gate", func(ctx context.Context, in gateIn) (int, error) {
		running := gateRunning.Add(1)
		defer gateRunning.Add(-1)
		for {
			if m := gateMax.Load(); running <= m || gateMax.CompareAndSwap(m, running) {
				break
			}
		}
		select {
		case <-time.After(in.D):
		case <-ctx.Done():
			return 0, ctx.Err()
		}
		if in.Fail != "" {
			return 0, errors.New(in.Fail)
		}
		return in.X, nil
	})
	gateRunning, gateMax atomic.Int64
)

type gateIn struct {
	X    int
	D    time.Duration
	Fail string
}

func TestGroupFirstErrorCancelsWithCause(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			p := open(t, u, pool.WithLimit(8))
			g, ctx := pool.WithContext(context.Background(), p)
			slow := gate.Go(g, gateIn{D: time.Hour})
			gate.Go(g, gateIn{D: 10 * time.Millisecond, Fail: "first failure"})
			err := g.Wait()
			if err == nil || err.Error() == "" || !containsMsg(err, "first failure") {
				t.Fatalf("Wait = %v, want the first failure", err)
			}
			if ctx.Err() == nil {
				t.Fatal("group context not cancelled after a failure")
			}
			if cause := context.Cause(ctx); !containsMsg(cause, "first failure") {
				t.Fatalf("context.Cause = %v, want the failing call's error", cause)
			}
			if _, err := slow.Get(context.Background()); !errors.Is(err, context.Canceled) {
				t.Fatalf("the slow call ended with %v, want it cancelled by the failure", err)
			}
		})
	}
}

func TestGroupWaitCancelsContextOnSuccess(t *testing.T) {
	p := open(t, "local://")
	g, ctx := pool.WithContext(context.Background(), p)
	f := gate.Go(g, gateIn{X: 5})
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if ctx.Err() == nil {
		t.Fatal("errgroup semantics: the context is cancelled when Wait returns")
	}
	if v, err := f.Get(context.Background()); v != 5 || err != nil {
		t.Fatalf("Get = %d, %v", v, err)
	}
}

func TestGroupSetLimitBoundsConcurrency(t *testing.T) {
	for _, u := range localURLs {
		t.Run(u, func(t *testing.T) {
			p := open(t, u, pool.WithLimit(64))
			g, _ := pool.WithContext(context.Background(), p)
			g.SetLimit(3)
			gateMax.Store(0)
			for i := range 30 {
				gate.Go(g, gateIn{X: i, D: 5 * time.Millisecond})
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			if m := gateMax.Load(); m != 3 {
				t.Fatalf("at most %d ran at once, want exactly the limit 3", m)
			}
		})
	}
}

func TestGroupTryGoRespectsLimit(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(8))
	g, _ := pool.WithContext(context.Background(), p)
	g.SetLimit(1)
	f, ok := gate.TryGo(g, gateIn{X: 1, D: 100 * time.Millisecond})
	if !ok || f == nil {
		t.Fatal("TryGo below the limit refused")
	}
	if _, ok := gate.TryGo(g, gateIn{X: 2}); ok {
		t.Fatal("TryGo at the limit started a call")
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, ok := gate.TryGo(g, gateIn{X: 3}); !ok {
		t.Fatal("TryGo after the group drained refused")
	}
	g.Wait()
}

func TestGroupSetLimitWhileActivePanics(t *testing.T) {
	p := open(t, "local://")
	g, _ := pool.WithContext(context.Background(), p)
	g.SetLimit(1)
	gate.Go(g, gateIn{D: 50 * time.Millisecond})
	defer func() {
		if recover() == nil {
			t.Fatal("SetLimit with an active call did not panic")
		}
		g.Wait()
	}()
	g.SetLimit(2)
}

func TestPoolLimitBoundsMap(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(16))
	v := p.With(pool.WithLimit(2))
	gateMax.Store(0)
	in := make([]gateIn, 20)
	for i := range in {
		in[i] = gateIn{X: i, D: 2 * time.Millisecond}
	}
	if _, err := gate.Map(context.Background(), v, in); err != nil {
		t.Fatal(err)
	}
	if m := gateMax.Load(); m != 2 {
		t.Fatalf("view limit: %d at once, want 2", m)
	}
	if v.Limit() != 2 || p.Limit() != 16 {
		t.Fatalf("Limit: view %d pool %d, want 2 and 16", v.Limit(), p.Limit())
	}
}

func TestMapFirstErrorCancelsRest(t *testing.T) {
	p := open(t, "local://", pool.WithLimit(4))
	in := []gateIn{{D: time.Hour}, {D: time.Millisecond, Fail: "bad"}, {D: time.Hour}}
	out, err := gate.Map(context.Background(), p, in)
	if out != nil || !containsMsg(err, "bad") {
		t.Fatalf("Map = %v, %v; want nil and the failure", out, err)
	}
}

func containsMsg(err error, s string) bool {
	return err != nil && len(s) > 0 && contains(err.Error(), s)
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
