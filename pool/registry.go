package pool

import (
	"context"
	"fmt"
	"runtime"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/pool/driver"
)

// Register makes fn callable by name on every backend and returns its typed
// handle. Call it at package level, so that a driver and its workers — the
// same binary — see the same registry before main runs. Registering a name
// twice panics, naming both call sites. Options such as Idempotent describe
// the function.
func Register[In, Out any](name string, fn func(context.Context, In) (Out, error), opts ...FuncOption) *Func[In, Out] {
	if name == "" {
		panic("pool: Register with an empty name")
	}
	if fn == nil {
		panic(fmt.Sprintf("pool: Register(%q) with a nil function", name))
	}
	where := "unknown"
	if _, file, line, ok := runtime.Caller(1); ok {
		where = fmt.Sprintf("%s:%d", file, line)
	}
	var fs funcSettings
	for _, o := range opts {
		o.apply(&fs)
	}
	f := &Func[In, Out]{name: name, fn: fn, idempotent: fs.idempotent}
	driver.RegisterFunction(&driver.Function{
		Name:  name,
		Where: where,
		Call: func(ctx context.Context, c codec.Codec, data []byte) ([]byte, *driver.WireError) {
			var in In
			if err := c.Unmarshal(data, &in); err != nil {
				return nil, &driver.WireError{Code: driver.CodeBadInput, Message: fmt.Sprintf("function %q: input: %v", name, err)}
			}
			out, err := runCaught(ctx, fn, in)
			if err != nil {
				return nil, wireError(ctx, err)
			}
			b, err := c.Marshal(out)
			if err != nil {
				return nil, &driver.WireError{Code: driver.CodeBadOutput, Message: fmt.Sprintf("function %q: output: %v", name, err)}
			}
			return b, nil
		},
	})
	return f
}

// runCaught runs fn, turning a panic into a *PanicError so the worker that
// runs it survives.
func runCaught[In, Out any](ctx context.Context, fn func(context.Context, In) (Out, error), in In) (out Out, err error) {
	defer func() {
		if r := recover(); r != nil {
			buf := make([]byte, 64<<10)
			buf = buf[:runtime.Stack(buf, false)]
			err = &PanicError{Value: fmt.Sprint(r), Stack: string(buf)}
		}
	}()
	return fn(ctx, in)
}
