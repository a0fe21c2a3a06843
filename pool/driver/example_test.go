package driver_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
)

// loopback is the smallest backend: it hands each envelope to the worker
// side in this process, as a remote worker would after unpacking it.
type loopback struct{}

func (loopback) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	return driver.Handle(ctx, req), nil
}
func (loopback) Limit() int   { return 2 }
func (loopback) Close() error { return nil }

var double = pool.Register("driverexample.double", func(_ context.Context, x int) (int, error) { return 2 * x, nil })

func Example() {
	driver.RegisterBackend("loopback", func(_ context.Context, u *url.URL) (driver.Backend, error) {
		if err := driver.UnknownParams(u); err != nil {
			return nil, err
		}
		return loopback{}, nil
	})
	ctx := context.Background()
	p, err := pool.Open(ctx, "loopback://?limit=1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	ys, err := double.Map(ctx, p, []int{1, 2, 3})
	fmt.Println(ys, err)
	// Output: [2 4 6] <nil>
}
