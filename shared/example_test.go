package shared_test

import (
	"context"
	"fmt"
	"sort"

	"github.com/burst-dev/burst/shared"
)

// Functions running in one process share state through mem://; with
// redis:// the same code shares it across processes and clouds.
func Example() {
	ctx := context.Background()
	c, err := shared.Open(ctx, "mem://?namespace=example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	defer c.Drop(ctx, "example")

	energies := shared.NewMap[int, float64](c, "energies")
	energies.StoreMany(ctx, map[int]float64{0: -12.5, 1: -11.0, 2: -9.75})
	old, _, _ := energies.Swap(ctx, 1, -11.5)
	fmt.Println("replica 1 was", old)

	var lines []string
	energies.Range(ctx, func(replica int, e float64) bool {
		lines = append(lines, fmt.Sprintf("replica %d: %v", replica, e))
		return true
	})
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// replica 1 was -11
	// replica 0: -12.5
	// replica 1: -11.5
	// replica 2: -9.75
}

// A reliable work queue: an item whose consumer dies before Ack goes back
// to the queue when its lease ends.
func ExampleQueue_Take() {
	ctx := context.Background()
	c, _ := shared.Open(ctx, "mem://?namespace=example-queue")
	defer c.Close()
	defer c.Drop(ctx, "example-queue")

	jobs := shared.NewQueue[string](c, "jobs")
	jobs.PutMany(ctx, "segment-0", "segment-1")
	for range 2 {
		it, err := jobs.Take(ctx)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("running", it.Value)
		it.Ack(ctx)
	}
	// Output:
	// running segment-0
	// running segment-1
}

func ExampleMutex() {
	ctx := context.Background()
	c, _ := shared.Open(ctx, "mem://?namespace=example-mutex")
	defer c.Close()
	defer c.Drop(ctx, "example-mutex")

	mu := shared.NewMutex(c, "checkpoint")
	if err := mu.Lock(ctx); err != nil {
		fmt.Println(err)
		return
	}
	// Hand mu.Token() to the store you write, so a writer whose lease
	// ended unnoticed is refused there.
	fmt.Println("token", mu.Token())
	fmt.Println(mu.Unlock(ctx))
	fmt.Println(mu.Unlock(ctx) != nil) // not held any more
	// Output:
	// token 1
	// <nil>
	// true
}
