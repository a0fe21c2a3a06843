package pool

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"time"

	"github.com/burst-dev/burst/pool/driver"
)

// local runs calls as goroutines of this process. Without encoding the Pool
// calls the Go function directly; with ?encode=1 every call goes through the
// codec and the worker-side Handle, exactly as on a remote backend, so a
// program that works here also works remotely.
type local struct{ encode bool }

func init() {
	driver.RegisterCapabilities("local", driver.Capabilities{})
	driver.RegisterBackend("local", func(_ context.Context, u *url.URL) (driver.Backend, error) {
		if err := driver.UnknownParams(u, "encode"); err != nil {
			return nil, err
		}
		b := &local{}
		if v := u.Query().Get("encode"); v != "" {
			enc, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("pool: local://?encode=%q: want true/false/1/0", v)
			}
			b.encode = enc
		}
		return b, nil
	})
}

// Invoke runs the call in a goroutine of its own, so that it returns when
// ctx ends even if the function does not (the goroutine is left behind).
func (b *local) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	done := make(chan *driver.Response, 1)
	go func() { done <- driver.Handle(ctx, req) }()
	select {
	case resp := <-done:
		return resp, nil
	case <-ctx.Done():
	}
	select {
	case resp := <-done:
		return resp, nil
	case <-time.After(localGrace):
	}
	return nil, fmt.Errorf("local: the function had not returned %v after its context ended and was left running in its goroutine: %w",
		localGrace, context.Cause(ctx))
}

// Start is Invoke on a goroutine (driver.Starter): encoded calls take the
// pool's path for backends that end calls on a goroutine of their own, as
// process:// and slurm:// do, so that a program tried here runs there alike.
func (b *local) Start(ctx context.Context, req *driver.Request, done func(*driver.Response, error)) {
	go func() { done(b.Invoke(ctx, req)) }()
}

func (b *local) InProcess() bool { return !b.encode }
func (b *local) Limit() int      { return runtime.GOMAXPROCS(0) }
func (b *local) Close() error    { return nil }
