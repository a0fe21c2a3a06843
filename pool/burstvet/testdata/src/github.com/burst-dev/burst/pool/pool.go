// Package pool is a stand-in for burst's pool with Register's signature.
package pool

import "context"

type Func[In, Out any] struct{}

func Register[In, Out any](name string, fn func(context.Context, In) (Out, error)) *Func[In, Out] {
	return &Func[In, Out]{}
}
