package driver_test

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/burst-dev/burst/shared/driver"
	"github.com/burst-dev/burst/shared/mem"
)

// A Conn's leased queue: Take hands a value out under a lease and Ack
// removes it for good.
func Example() {
	ctx := context.Background()
	u, _ := url.Parse("mem://driver-example")
	var c driver.Conn
	c, _ = mem.Open(ctx, u)
	key := "{ex}:q:jobs"
	c.QueuePut(ctx, key, [][]byte{[]byte("a")})
	tok, v, ok, _ := c.QueueTake(ctx, key, "", time.Minute, 0)
	fmt.Println(string(v), ok)
	acked, _ := c.QueueAck(ctx, key, tok)
	fmt.Println(acked)
	// Output:
	// a true
	// true
}
