package aws_test

import (
	"context"
	"fmt"
	"log"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/aws"
)

// Opening an aws:// pool loads the AWS configuration but calls nothing; the
// first call invokes the function. With the emulator, add
// &endpoint=http://127.0.0.1:PORT (or set AWS_ENDPOINT_URL_LAMBDA).
func Example() {
	ctx := context.Background()
	p, err := pool.Open(ctx, "aws://burst-square?region=eu-west-1&concurrency=100&timeout=30s")
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close()
	// ys, err := square.Map(ctx, p, xs)
	fmt.Println("calls at once:", p.Limit())
	// Output: calls at once: 100
}
