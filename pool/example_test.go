package pool_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/burst-dev/burst/pool"
)

// Upper is registered at package level, so every worker — the same binary —
// knows it by name.
var Upper = pool.Register("example.upper", func(ctx context.Context, s string) (string, error) {
	return strings.ToUpper(s), nil
})

func Example() {
	ctx := context.Background()
	p, err := pool.Open(ctx, "local://?encode=1") // every call through the codec, as remotely
	if err != nil {
		panic(err)
	}
	defer p.Close()
	out, err := Upper.Map(ctx, p, []string{"replica", "exchange"})
	fmt.Println(out, err)
	// Output: [REPLICA EXCHANGE] <nil>
}

func ExampleWithContext() {
	ctx := context.Background()
	p, _ := pool.Open(ctx, "local://")
	defer p.Close()
	g, _ := pool.WithContext(ctx, p)
	g.SetLimit(2)
	a := Upper.Go(g, "a")
	b := Upper.Go(g, "b")
	if err := g.Wait(); err != nil {
		panic(err)
	}
	x, _ := a.Get(ctx)
	y, _ := b.Get(ctx)
	fmt.Println(x, y)
	// Output: A B
}

func ExampleFunc_Stream() {
	ctx := context.Background()
	p, _ := pool.Open(ctx, "local://?limit=4")
	defer p.Close()
	words := func(yield func(string) bool) {
		for _, w := range []string{"never", "materialised"} {
			if !yield(w) {
				return
			}
		}
	}
	for out, err := range Upper.Stream(ctx, p, words) {
		fmt.Println(out, err)
	}
	// Output:
	// NEVER <nil>
	// MATERIALISED <nil>
}

// A scheduler that reacts to each call as it finishes, rather than to a
// whole batch, hears of them through OnDone: no goroutine per call blocked
// in Get.
func ExampleFuture_OnDone() {
	ctx := context.Background()
	p, _ := pool.Open(ctx, "local://")
	defer p.Close()
	g, _ := pool.WithContext(ctx, p)
	words := []string{"replica", "exchange"}
	done := make(chan string, len(words)) // room for every call: the callbacks never block
	for _, w := range words {
		Upper.Go(g, w).OnDone(func(out string, err error) { done <- out })
	}
	if err := g.Wait(); err != nil {
		panic(err)
	}
	close(done)
	n := 0
	for range done {
		n++
	}
	fmt.Println(n, "calls finished")
	// Output: 2 calls finished
}
