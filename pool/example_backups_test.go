package pool_test

import (
	"context"
	"fmt"
	"time"

	"github.com/burst-dev/burst/pool"
)

// Simulate is deterministic, so a slow call may be run a second time: it is
// registered Idempotent.
var Simulate = pool.Register("example.simulate", func(ctx context.Context, seed int) (int, error) {
	return seed * 7 % 10, nil
}, pool.Idempotent())

func ExampleWithBackups() {
	ctx := context.Background()
	p, err := pool.Open(ctx, "local://?encode=1")
	if err != nil {
		panic(err)
	}
	defer p.Close()
	// A call running twice as long as the median of those already finished
	// in the same Map (and at least 100 ms) gets a backup attempt; the
	// first to succeed wins.
	hedged := p.With(pool.WithBackups(2, 100*time.Millisecond))
	out, err := Simulate.Map(ctx, hedged, []int{1, 2, 3, 4})
	fmt.Println(out, err, p.Stats().Backups <= p.Stats().Calls)
	// Output: [7 4 1 8] <nil> true
}
