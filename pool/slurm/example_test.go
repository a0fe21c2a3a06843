package slurm_test

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/slurm"
)

var Square = pool.Register("example.square", func(ctx context.Context, x int) (int, error) { return x * x, nil })

// A program run on a login node: pool.Main() first, then the pool. The
// workers are this same binary, started by Slurm as the steps of one job.
// (Not run as a test: it needs a Slurm cluster; the package's tests start one.)
func Example() {
	pool.Main()
	ctx := context.Background()
	p, err := pool.Open(ctx, "slurm://?workers=64&cpus_per_task=1&mem_per_cpu=2G&time=01:00:00&partition=compute")
	if err != nil {
		panic(err)
	}
	defer p.Close() // cancels the job
	out, err := Square.Map(ctx, p, []int{1, 2, 3})
	fmt.Println(out, err)
}
