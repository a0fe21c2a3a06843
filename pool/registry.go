package pool

import (
	"context"
	"fmt"
	"reflect"
	"runtime"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/pool/driver"
)

// Register makes fn callable by name on every backend and returns its typed
// handle. Call it at package level, so that a driver and its workers — the
// same binary — see the same registry before main runs. Registering a name
// twice panics, naming both call sites. Options such as Idempotent describe
// the function.
//
// In and Out must survive the trip to a worker and back whole: Register
// panics, naming the path to the culprit, when a part of either would be
// lost or cannot travel (an unexported field, a chan, a func, an
// unsafe.Pointer, an error or an interface no registered type implements;
// see codec.Check). It does so on every backend, local:// included, so a
// program that registers works everywhere.
func Register[In, Out any](name string, fn func(context.Context, In) (Out, error), opts ...FuncOption) *Func[In, Out] {
	if name == "" {
		panic("pool: Register with an empty name")
	}
	if fn == nil {
		panic(fmt.Sprintf("pool: Register(%q) with a nil function", name))
	}
	for _, t := range []struct {
		what string
		typ  reflect.Type
	}{{"input", reflect.TypeFor[In]()}, {"output", reflect.TypeFor[Out]()}} {
		if err := codec.Check(t.typ); err != nil {
			panic(fmt.Sprintf("pool: Register(%q): %s type %v (export the field, change the type, or give it MarshalBinary and UnmarshalBinary methods)",
				name, t.what, err))
		}
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
			b, err := c.Marshal(&out) // a pointer, so an interface Out keeps its static type
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
