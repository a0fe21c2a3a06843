package timeline_test

import (
	"context"
	"fmt"
	"io"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/timeline"
)

var double = pool.Register("timeline.double", func(ctx context.Context, x int) (int, error) { return 2 * x, nil })

func Example() {
	ctx := context.Background()
	rec := timeline.New()
	p, _ := pool.Open(ctx, "local://", pool.WithCallHook(rec.Observe))
	defer p.Close()
	double.Map(ctx, p, []int{1, 2, 3})
	fmt.Println(rec.Summarize().Calls, "calls recorded")
	_ = rec.WriteSVG(io.Discard, "example") // or into a file
	// Output: 3 calls recorded
}
