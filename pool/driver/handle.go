package driver

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/registry"
)

// A Function is the untyped face of a function registered with
// pool.Register: what a worker needs to run it knowing only its name.
type Function struct {
	Name  string
	Where string // file:line of the Register call
	// Call decodes the input with c, runs the function and encodes its
	// result. A failure comes back as the WireError to send, out nil.
	Call func(ctx context.Context, c codec.Codec, in []byte) (out []byte, err *WireError)
}

var functions = registry.New[*Function]("pool: function")

// RegisterFunction adds f to the functions workers of this binary serve.
// pool.Register calls it; registering a name twice panics, naming both call
// sites.
func RegisterFunction(f *Function) {
	// Registration happens in init, one package at a time, so the look-up
	// and the Register below do not race; the look-up only buys a message
	// naming both call sites.
	if old, dup := functions.Lookup(f.Name); dup {
		panic(fmt.Sprintf("pool: function %q registered twice: at %s and at %s", f.Name, old.Where, f.Where))
	}
	functions.Register(f.Name, f)
}

func lookupFunction(name string) (*Function, bool) { return functions.Lookup(name) }

// Functions lists the names of all registered functions, sorted.
func Functions() []string { return functions.Names() }

// worker identity and cold-start flag of this process, for Responses.
var (
	workerID     string
	workerServed atomic.Bool
)

// SetWorkerID names this process in the Responses it produces; worker-side
// backends call it once at start.
func SetWorkerID(id string) { workerID = id }

// Handle runs one call against this binary's registry: the worker side of
// every backend. It never panics and always returns a Response, whose Error
// says what went wrong when the call could not run or the function failed.
// A call whose input was spilled needs a Handler with a Store.
func Handle(ctx context.Context, req *Request) *Response { return Handler{}.Handle(ctx, req) }

func handle(ctx context.Context, req *Request) *Response {
	resp := &Response{Version: ProtocolVersion, ID: req.ID, Attempt: req.Attempt, Worker: workerID}
	resp.Cold = !workerServed.Swap(true)
	resp.Start = time.Now().UnixNano()
	defer func() { resp.End = time.Now().UnixNano() }()
	fail := func(code, format string, args ...any) *Response {
		resp.Error = &WireError{Code: code, Message: fmt.Sprintf(format, args...)}
		return resp
	}
	if req.Version != ProtocolVersion {
		return fail(CodeProtocol, "pool: protocol version %d, this worker speaks %d", req.Version, ProtocolVersion)
	}
	if req.Build != "" {
		if mine := BuildID(); req.Build != mine {
			return fail(CodeBuildMismatch,
				"pool: driver build %s but worker build %s: redeploy the function (or rebuild the driver) from the same source",
				short(req.Build), short(mine))
		}
	}
	f, ok := lookupFunction(req.Func)
	if !ok {
		return fail(CodeUnknownFunction, "pool: no function %q is registered in this worker (registered: %v)", req.Func, Functions())
	}
	// An envelope without a codec is JSON (docs/protocol.md): senders in
	// other languages and older drivers leave it out; the pool always
	// names the codec it used.
	name := req.Codec
	if name == "" {
		name = "json"
	}
	c, err := codec.Lookup(name)
	if err != nil {
		return fail(CodeBadInput, "pool: %v", err)
	}
	in, err := DecodePayload(c, req.Input)
	if err != nil {
		return fail(CodeBadInput, "pool: function %q: %v", req.Func, err)
	}
	if req.Deadline != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, time.Unix(0, req.Deadline))
		defer cancel()
	}
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(req.Timeout))
		defer cancel()
	}
	ctx, err = ApplyContextHooks(ctx, req.Values)
	if err != nil {
		return fail(CodeBadInput, "pool: function %q: %v", req.Func, err)
	}
	out, werr := f.Call(ctx, c, in)
	if werr != nil {
		resp.Error = werr
		return resp
	}
	resp.Output = EncodePayload(c, out)
	return resp
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// A PayloadStore holds call inputs and results too large for a backend's
// message limit (6 MB for a synchronous Lambda call, for instance); the
// envelope then carries the object's key instead. pool/spill opens one on any
// cloudfs URL. Driver and workers must reach the same store.
type PayloadStore interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// SpillKey is the key under which a spilled payload of call id of job is
// kept; what is "in" or "out", attempt 0 for an input shared by all attempts.
func SpillKey(job string, id uint64, attempt int, what string) string {
	if attempt > 0 {
		return fmt.Sprintf("burst-spill/%s/%d.%d.%s", job, id, attempt, what)
	}
	return fmt.Sprintf("burst-spill/%s/%d.%s", job, id, what)
}

// Handler is the worker side with options: backends whose platform limits the
// size of a response give it the store and threshold so large results are
// spilled instead of failing. The zero Handler is what Handle uses.
type Handler struct {
	Store     PayloadStore // where spilled inputs are read and large outputs written
	Threshold int          // spill outputs larger than this many bytes; 0: never
	// OnCaller runs the function on the goroutine calling Handle rather
	// than on one of its own, for a caller that outlives runtime.Goexit by
	// itself (the process worker replaces itself). The hand-off to a
	// goroutine and back woke a second thread on every call, which took
	// a core from the functions running on the others.
	OnCaller bool
}

// Handle runs one call like the package-level Handle, first fetching a
// spilled input and then spilling a large output.
func (h Handler) Handle(ctx context.Context, req *Request) *Response {
	if req.InputRef != "" {
		if h.Store == nil {
			return &Response{Version: ProtocolVersion, ID: req.ID, Attempt: req.Attempt, Worker: workerID,
				Error: &WireError{Code: CodeBadInput, Message: fmt.Sprintf(
					"pool: the input of call %d is in a payload store (%s) but this worker has none configured (set BURST_SPILL_URL)", req.ID, req.InputRef)}}
		}
		data, err := h.Store.Get(ctx, req.InputRef)
		if err != nil {
			return &Response{Version: ProtocolVersion, ID: req.ID, Attempt: req.Attempt, Worker: workerID,
				Error: &WireError{Code: CodeBadInput, Message: fmt.Sprintf("pool: fetch spilled input %s: %v", req.InputRef, err), Retryable: true}}
		}
		r := *req
		r.Input, r.InputRef = data, ""
		req = &r
	}
	var resp *Response
	if h.OnCaller {
		resp = handle(ctx, req)
	} else {
		resp = handleCaught(ctx, req)
	}
	if h.Store != nil && h.Threshold > 0 && len(resp.Output) > h.Threshold {
		key := SpillKey(req.Job, req.ID, req.Attempt, "out")
		if err := h.Store.Put(ctx, key, resp.Output); err != nil {
			resp.Output = nil
			resp.Error = &WireError{Code: CodeTooLarge, Message: fmt.Sprintf("pool: spill result of call %d to %s: %v", req.ID, key, err), Retryable: true}
			return resp
		}
		resp.Output, resp.OutputRef = nil, key
	}
	return resp
}

// GoexitType is the WireError.Type of a call whose function called
// runtime.Goexit.
const GoexitType = "runtime.Goexit"

// handleCaught runs handle in a goroutine of its own, so that a function
// calling runtime.Goexit (t.FailNow, say) ends only that goroutine: the call
// still gets an answer, and the worker's own goroutine (an HTTP handler, the
// Lambda loop) lives on.
func handleCaught(ctx context.Context, req *Request) *Response {
	done := make(chan *Response, 1)
	go func() {
		var resp *Response
		defer func() {
			if resp == nil {
				resp = &Response{Version: ProtocolVersion, ID: req.ID, Attempt: req.Attempt, Worker: workerID,
					Error: &WireError{Code: CodeFunction, Type: GoexitType,
						Message: fmt.Sprintf("function %q called runtime.Goexit instead of returning", req.Func)}}
			}
			done <- resp
		}()
		resp = handle(ctx, req)
	}()
	return <-done
}
