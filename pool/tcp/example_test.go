package tcp_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/tcp"
)

var Triple = pool.Register("example.triple", func(ctx context.Context, x int) (int, error) { return 3 * x, nil })

func Example() {
	// In a real program pool.Main() is the first statement of main; here
	// TestMain calls it.
	ctx := context.Background()
	p, err := pool.Open(ctx, "tcp://127.0.0.1:0?workers=1")
	if err != nil {
		panic(err)
	}
	// Any launcher starts the same binary with the pool's address and
	// secret in its environment; here, a child process.
	var b *tcp.Backend
	p.As(&b)
	w := exec.Command(os.Args[0], "-test.run=^$")
	w.Env = append(os.Environ(), b.WorkerEnv()...)
	if err := w.Start(); err != nil {
		panic(err)
	}
	out, err := Triple.Map(ctx, p, []int{1, 2, 3})
	fmt.Println(out, err)
	p.Close() // ends the worker's connection, and so the worker
	w.Wait()
	// Output: [3 6 9] <nil>
}
