package tcp_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/tcp"
)

var pid = pool.Register("tcp.pid", func(ctx context.Context, _ int) (int, error) { return os.Getpid(), nil })

// The docs' ssh example (docs/providers/tcp.md): workers started with ssh,
// the address and secret sent in ssh's environment (SendEnv, which the
// server's AcceptEnv lets through), never on the remote command line.
func TestWorkersStartedOverSSH(t *testing.T) {
	sshd := testenv.StartSSHD(t)
	p, err := pool.Open(context.Background(), "tcp://127.0.0.1:0?workers=2")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	b := backendOf(t, p)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var done []chan error
	for range 2 {
		cmd := sshd.Command(ctx, []string{tcp.EnvAddr, tcp.EnvSecret}, os.Args[0], "'-test.run=^$'")
		cmd.Env = append(os.Environ(), b.WorkerEnv()...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ch := make(chan error, 1)
		go func() { ch <- cmd.Wait() }()
		done = append(done, ch)
	}
	if err := b.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	pids, err := pid.Map(ctx, p, make([]int, 20))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, id := range pids {
		if id == os.Getpid() {
			t.Fatal("a call ran in the driver")
		}
		seen[id] = true
	}
	t.Logf("20 calls ran in worker processes %v started over ssh", seen)
	p.Close()
	for _, ch := range done {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("ssh worker ended with %v after the pool closed, want status 0", err)
			}
		case <-ctx.Done():
			t.Fatal("an ssh worker still runs after the pool closed")
		}
	}
}
