// Package lib is not a program: its errgroup closures are left alone.
package lib

import "golang.org/x/sync/errgroup"

func Fan(xs []int) []int {
	var g errgroup.Group
	out := make([]int, len(xs))
	for i, x := range xs {
		g.Go(func() error { out[i] = x * x; return nil })
	}
	_ = g.Wait()
	return out
}
