package pool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/pool/codec"
)

// ProtocolVersion is the version of the call and result envelopes; see
// docs/protocol.md.
const ProtocolVersion = 1

// Request is the call envelope a backend carries to a worker.
type Request struct {
	Version  int    `json:"v"`
	Func     string `json:"func"`
	Job      string `json:"job"`                // id of the pool that made the call
	ID       uint64 `json:"id"`                 // call id, unique within the job
	Attempt  int    `json:"attempt"`            // 1 for the first attempt
	Deadline int64  `json:"deadline,omitempty"` // unix nanoseconds; 0 for none
	// Timeout, in nanoseconds, bounds the function from the moment it
	// starts; backends that hold calls waiting (Queuer) use it instead of
	// folding the pool's timeout into Deadline. 0 for none.
	Timeout int64  `json:"timeout,omitempty"`
	Codec   string `json:"codec"`
	Build   string `json:"build,omitempty"` // driver's build id; empty skips the check
	// Input is the encoded argument: the codec's bytes themselves when the
	// codec is JSON (so envelopes stay readable), a base64 string otherwise.
	Input json.RawMessage `json:"input,omitempty"`
	// InputRef names an object holding the input when it was too large to
	// travel inline; the backend that set it resolves it.
	InputRef string `json:"input_ref,omitempty"`
}

// Response is the result envelope a worker sends back.
type Response struct {
	Version   int             `json:"v"`
	ID        uint64          `json:"id"`
	Attempt   int             `json:"attempt"`
	Output    json.RawMessage `json:"output,omitempty"` // as Request.Input
	OutputRef string          `json:"output_ref,omitempty"`
	Error     *WireError      `json:"error,omitempty"`
	Worker    string          `json:"worker,omitempty"` // worker identity (host/pid, instance id)
	Cold      bool            `json:"cold,omitempty"`   // first call this worker served
	Start     int64           `json:"start,omitempty"`  // unix nanoseconds, worker clock
	End       int64           `json:"end,omitempty"`
}

// WireError is a failure as carried in a Response.
type WireError struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	Type      string `json:"type,omitempty"`
	Retryable bool   `json:"retryable,omitempty"`
	Stack     string `json:"stack,omitempty"` // for panics
}

// EncodePayload puts codec bytes into an envelope field.
func EncodePayload(c codec.Codec, b []byte) json.RawMessage {
	if c.Name() == "json" {
		return b
	}
	s, _ := json.Marshal(b) // base64 string; cannot fail for []byte
	return s
}

// DecodePayload is the inverse of EncodePayload.
func DecodePayload(c codec.Codec, raw json.RawMessage) ([]byte, error) {
	if c.Name() == "json" {
		return raw, nil
	}
	var b []byte
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("payload for codec %s is not a base64 string: %w", c.Name(), err)
	}
	return b, nil
}

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
	e, ok := lookup(req.Func)
	if !ok {
		return fail(CodeUnknownFunction, "pool: no function %q is registered in this worker (registered: %v)", req.Func, Registered())
	}
	c, err := codec.Lookup(req.Codec)
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
	out, err := e.callBytes(ctx, c, in)
	if err != nil {
		resp.Error = wireError(ctx, err)
		return resp
	}
	resp.Output = EncodePayload(c, out)
	return resp
}

func wireError(ctx context.Context, err error) *WireError {
	var pe *protocolError
	var pan *PanicError
	switch {
	case errors.As(err, &pe):
		return &WireError{Code: pe.code, Message: pe.msg}
	case errors.As(err, &pan):
		return &WireError{Code: CodePanic, Message: "panic: " + pan.Value, Stack: pan.Stack}
	}
	w := &WireError{Code: CodeFunction, Message: err.Error(), Type: fmt.Sprintf("%T", err),
		Retryable: errors.Is(err, errRetryableMarker)}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		w.Code = CodeCanceled
		if errors.Is(err, context.DeadlineExceeded) {
			w.Code = CodeTimeout
		}
	}
	return w
}

// remoteErr turns a WireError back into an error on the driver side.
func (w *WireError) err() error {
	switch w.Code {
	case CodePanic:
		return &PanicError{Value: trimPanic(w.Message), Stack: w.Stack}
	case CodeTimeout:
		return fmt.Errorf("%s: %w", w.Message, context.DeadlineExceeded)
	case CodeCanceled:
		return fmt.Errorf("%s: %w", w.Message, context.Canceled)
	}
	return &RemoteError{Code: w.Code, Message: w.Message, Type: w.Type, Retryable: w.Retryable}
}

func trimPanic(s string) string {
	const p = "panic: "
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
