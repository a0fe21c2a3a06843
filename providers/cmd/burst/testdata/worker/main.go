// Command worker is the smallest burst program, for burst deploy's tests.
package main

import (
	"context"

	"github.com/burst-dev/burst/pool"
)

var square = pool.Register("square", func(ctx context.Context, x int) (int, error) { return x * x, nil })

func main() { pool.Main() }
