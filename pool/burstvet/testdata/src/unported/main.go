package main

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"
)

func main() {
	g, ctx := errgroup.WithContext(context.Background())
	files := []string{"a", "b"}
	sums := make([]string, len(files))
	counts := map[string]int{}
	var mu sync.Mutex
	var total int
	var first string
	for i, f := range files {
		g.Go(func() error { // want `errgroup.Go closure writes captured sums: when this work becomes a pool function`
			sum := f + "!" // local: not reported
			sums[i] = sum
			_ = ctx
			return nil
		})
		g.TryGo(func() error { // want `errgroup.Go closure writes captured mu, counts, total, first`
			mu.Lock()
			defer mu.Unlock()
			counts[f]++
			total += len(f)
			first = f
			return nil
		})
		g.Go(func() error { // reads only: nothing to report
			_ = len(files) + total
			return nil
		})
	}
	_ = g.Wait()
	println(first)
}
