package pool

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"

	"github.com/burst-dev/burst/pool/codec"
)

// entry is the untyped face of a registered function, used by workers, which
// only know the function's name.
type entry struct {
	name  string
	where string // file:line of the Register call
	// callBytes decodes the input with c, runs the function and encodes its
	// result. A function's error comes back as err with out nil.
	callBytes func(ctx context.Context, c codec.Codec, in []byte) (out []byte, err error)
}

var registry struct {
	sync.RWMutex
	m map[string]*entry
}

// Register makes fn callable by name on every backend and returns its typed
// handle. Call it at package level, so that a driver and its workers — the
// same binary — see the same registry before main runs. Registering a name
// twice panics, naming both call sites.
func Register[In, Out any](name string, fn func(context.Context, In) (Out, error)) *Func[In, Out] {
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
	f := &Func[In, Out]{name: name, fn: fn}
	e := &entry{
		name:  name,
		where: where,
		callBytes: func(ctx context.Context, c codec.Codec, data []byte) ([]byte, error) {
			var in In
			if err := c.Unmarshal(data, &in); err != nil {
				return nil, &protocolError{code: CodeBadInput, msg: fmt.Sprintf("function %q: input: %v", name, err)}
			}
			out, err := runCaught(ctx, fn, in)
			if err != nil {
				return nil, err
			}
			b, err := c.Marshal(out)
			if err != nil {
				return nil, &protocolError{code: CodeBadOutput, msg: fmt.Sprintf("function %q: output: %v", name, err)}
			}
			return b, nil
		},
	}
	registry.Lock()
	defer registry.Unlock()
	if registry.m == nil {
		registry.m = map[string]*entry{}
	}
	if old, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("pool: function %q registered twice: at %s and at %s", name, old.where, where))
	}
	registry.m[name] = e
	return f
}

func lookup(name string) (*entry, bool) {
	registry.RLock()
	defer registry.RUnlock()
	e, ok := registry.m[name]
	return e, ok
}

// Registered lists the names of all registered functions, sorted.
func Registered() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.m))
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
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
