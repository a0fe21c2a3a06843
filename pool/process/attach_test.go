package process_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/process"
)

// serveOnPipe attaches a worker served in this process over a net.Pipe and
// returns the worker's end, so a test can cut it.
func serveOnPipe(t *testing.T, b *process.Backend, name string) (worker net.Conn, gone <-chan struct{}) {
	t.Helper()
	drv, wrk := net.Pipe()
	go process.Serve(context.Background(), wrk, wrk, 0)
	gone, err := b.Attach(drv, name)
	if err != nil {
		t.Fatalf("Attach: %v", err)
	}
	return wrk, gone
}

func TestAttachedWorkersServeCallsOverAStream(t *testing.T) {
	b := process.NewAttached(process.Options{Workers: 2})
	p := pool.New(b)
	defer p.Close()
	serveOnPipe(t, b, "a")
	serveOnPipe(t, b, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	in := make([]int, 100)
	for i := range in {
		in[i] = i
	}
	out, err := double.Map(ctx, p, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != 2*i {
			t.Fatalf("out[%d] = %d, want %d", i, v, 2*i)
		}
	}
}

func TestAttachedWorkerLostRetriesElsewhere(t *testing.T) {
	b := process.NewAttached(process.Options{Workers: 2})
	p := pool.New(b)
	defer p.Close()
	doomed, gone := serveOnPipe(t, b, "doomed")
	serveOnPipe(t, b, "survivor")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ins := make([]holdIn, 8)
	for i := range ins {
		ins[i] = holdIn{X: i, D: 300 * time.Millisecond}
	}
	go func() {
		time.Sleep(100 * time.Millisecond)
		doomed.Close()
	}()
	out, err := hold.Map(ctx, p, ins)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i {
			t.Fatalf("out[%d] = %d, want %d", i, v, i)
		}
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the cut worker's channel was not closed")
	}
}

func TestAttachAfterCloseFails(t *testing.T) {
	b := process.NewAttached(process.Options{})
	b.Close()
	drv, wrk := net.Pipe()
	defer wrk.Close()
	if _, err := b.Attach(drv, "late"); err == nil {
		t.Fatal("Attach after Close succeeded, want pool.ErrClosed")
	}
}
