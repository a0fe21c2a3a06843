package mem_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/burst-dev/burst/shared/mem"
)

// Drivers are used through package shared; calling one directly shows the
// byte-level contract that the conformance suite checks.
func ExampleOpen() {
	ctx := context.Background()
	u, _ := url.Parse("mem://example")
	c, err := mem.Open(ctx, u)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.DropPrefix(ctx, "{ex}:")
	c.MapStore(ctx, "{ex}:m:demo", []string{"k"}, [][]byte{[]byte(`"v"`)})
	v, ok, _ := c.MapLoad(ctx, "{ex}:m:demo", "k")
	fmt.Println(string(v), ok)
	// Output: "v" true
}
