package process_test

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
)

var Triple = pool.Register("example.triple", func(ctx context.Context, x int) (int, error) { return 3 * x, nil })

func Example() {
	// In a real program pool.Main() is the first statement of main; here
	// TestMain calls it.
	ctx := context.Background()
	p, err := pool.Open(ctx, "process://?workers=2")
	if err != nil {
		panic(err)
	}
	defer p.Close()
	out, err := Triple.Map(ctx, p, []int{1, 2, 3})
	fmt.Println(out, err)
	// Output: [3 6 9] <nil>
}
