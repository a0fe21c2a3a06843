package redis_test

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/shared"
	_ "github.com/burst-dev/burst/shared/redis"
)

// Open a Client on Redis. Every process of a job that opens the same URL
// sees the same Map, Queue, Mutex, ... (not run: it needs a server).
func Example() {
	ctx := context.Background()
	c, err := shared.Open(ctx, "redis://:password@127.0.0.1:6379/0?namespace=job-42")
	if err != nil {
		fmt.Println(err) // wraps shared.ErrUnavailable or shared.ErrAuth, naming the address
		return
	}
	defer c.Close()
	done := shared.NewCounter(c, "segments-done")
	n, err := done.Add(ctx, 1)
	fmt.Println(n, err)
}
