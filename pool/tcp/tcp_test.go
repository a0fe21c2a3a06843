package tcp_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/tcp"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

var (
	slow = pool.Register("tcp.slow", func(ctx context.Context, x int) (int, error) {
		select {
		case <-time.After(200 * time.Millisecond):
			return x, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
)

// worker is a worker process of this test binary started for a test.
type worker struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	done chan struct{}
	err  error
}

// startWorkers starts n workers of this test binary with the backend's
// environment plus env.
func startWorkers(t testing.TB, b *tcp.Backend, n int, env ...string) []*worker {
	t.Helper()
	var ws []*worker
	for range n {
		w := &worker{out: new(bytes.Buffer), done: make(chan struct{})}
		w.cmd = exec.Command(os.Args[0], "-test.run=^$")
		w.cmd.Env = append(append(os.Environ(), b.WorkerEnv()...), env...)
		var mu sync.Mutex
		w.cmd.Stdout = lockedWriter{&mu, w.out}
		w.cmd.Stderr = lockedWriter{&mu, w.out}
		w.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := w.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go func() { w.err = w.cmd.Wait(); close(w.done) }()
		t.Cleanup(func() {
			w.cmd.Process.Kill()
			<-w.done
			if t.Failed() {
				mu.Lock()
				t.Logf("worker %d output:\n%s", w.cmd.Process.Pid, w.out)
				mu.Unlock()
			}
		})
		ws = append(ws, w)
	}
	return ws
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func openTCP(t *testing.T, workers int, env []string, opts ...pool.Option) (*pool.Pool, *tcp.Backend, []*worker) {
	t.Helper()
	p, err := pool.Open(context.Background(), "tcp://127.0.0.1:0?workers="+itoa(workers), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	var b *tcp.Backend
	if !p.As(&b) {
		t.Fatal("pool.As(*tcp.Backend) = false")
	}
	return p, b, startWorkers(t, b, workers, env...)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestConformance(t *testing.T) {
	pooltest.Run(t, pooltest.Harness{
		Open: func(t *testing.T, opts ...pool.Option) *pool.Pool {
			p, _, _ := openTCP(t, 2, nil, opts...)
			return p
		},
		OpenOtherBuild: func(t *testing.T) *pool.Pool {
			p, _, _ := openTCP(t, 1, []string{"BURST_BUILD_ID=another-build"})
			return p
		},
		Remote: true,
	})
}

func TestWorkerWithWrongSecretIsRefusedAndExits(t *testing.T) {
	p, err := pool.Open(context.Background(), "tcp://127.0.0.1:0?workers=1")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	var b *tcp.Backend
	if !p.As(&b) {
		t.Fatal("pool.As(*tcp.Backend) = false")
	}
	bad := startWorkers(t, b, 1, tcp.EnvSecret+"=not-the-pool-secret-at-all")[0]
	select {
	case <-bad.done:
	case <-time.After(30 * time.Second):
		t.Fatal("a worker with the wrong secret is still running after 30 s")
	}
	if bad.err == nil {
		t.Fatal("a refused worker exited with status 0, want a failure")
	}
	if out := bad.out.String(); !strings.Contains(out, "wrong secret") {
		t.Fatalf("refused worker's output %q does not say the secret was wrong", out)
	}
	// The pool still works once a good worker comes.
	startWorkers(t, b, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if got, err := pooltest.Square.Call(ctx, p, 7); err != nil || got != 49 {
		t.Fatalf("Square(7) = %d, %v after a refused worker; want 49", got, err)
	}
}

func TestWorkerOfAnotherBuildIsRefused(t *testing.T) {
	p, b, ws := openTCP(t, 1, []string{"BURST_BUILD_ID=another-build"})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := pooltest.Square.Call(ctx, p, 2)
	if !errors.Is(err, pool.ErrBuildMismatch) || !strings.Contains(err.Error(), "another-build") {
		t.Fatalf("err = %v, want pool.ErrBuildMismatch naming the worker's build", err)
	}
	select {
	case <-ws[0].done:
	case <-time.After(30 * time.Second):
		t.Fatal("a refused worker is still running after 30 s")
	}
	if !strings.Contains(ws[0].out.String(), "refused by the driver") {
		t.Fatalf("refused worker's output %q does not say it was refused", ws[0].out.String())
	}
	_ = b
}

func TestWorkerLostMidMapEveryResultOnce(t *testing.T) {
	p, _, ws := openTCP(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	in := make([]int, 20)
	for i := range in {
		in[i] = i
	}
	go func() {
		time.Sleep(500 * time.Millisecond)
		ws[0].cmd.Process.Kill()
	}()
	out, err := slow.Map(ctx, p, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i {
			t.Fatalf("out[%d] = %d, want %d", i, v, i)
		}
	}
	if st := p.Stats(); st.Retries == 0 {
		t.Logf("no call was retried (the killed worker held none): %+v", st)
	}
}

func TestWorkersExitWhenThePoolCloses(t *testing.T) {
	p, b, ws := openTCP(t, 2, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// Both connected first: a worker that has not reached the driver when
	// the pool closes keeps dialling for BURST_TCP_DIAL_TIMEOUT.
	if err := b.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := pooltest.Square.Map(ctx, p, []int{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	p.Close()
	for _, w := range ws {
		select {
		case <-w.done:
			if w.err != nil {
				t.Errorf("worker exited with %v after the pool closed, want status 0", w.err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("a worker still runs 30 s after its pool closed")
		}
	}
}

// backendOf is p's *tcp.Backend.
func backendOf(t testing.TB, p *pool.Pool) *tcp.Backend {
	var b *tcp.Backend
	if !p.As(&b) {
		t.Fatal("pool.As(*tcp.Backend) = false")
	}
	return b
}
