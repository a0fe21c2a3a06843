package pool

import (
	"context"
	"fmt"
)

// A PayloadStore holds call inputs and results too large for a backend's
// message limit (6 MB for a synchronous Lambda call, for instance); the
// envelope then carries the object's key instead. pool/spill opens one on any
// cloudfs URL. Driver and workers must reach the same store.
type PayloadStore interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// WithSpill makes the pool put every call input whose encoded size exceeds
// threshold bytes into s, and fetch results that workers spilled there.
// Objects live under burst-spill/<job>/ and are deleted once read.
func WithSpill(s PayloadStore, threshold int) Option {
	return func(set *settings) { set.spill, set.spillAt = s, threshold }
}

func spillKey(job string, id uint64, attempt int, what string) string {
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
	resp := handle(ctx, req)
	if h.Store != nil && h.Threshold > 0 && len(resp.Output) > h.Threshold {
		key := spillKey(req.Job, req.ID, req.Attempt, "out")
		if err := h.Store.Put(ctx, key, resp.Output); err != nil {
			resp.Output = nil
			resp.Error = &WireError{Code: CodeTooLarge, Message: fmt.Sprintf("pool: spill result of call %d to %s: %v", req.ID, key, err), Retryable: true}
			return resp
		}
		resp.Output, resp.OutputRef = nil, key
	}
	return resp
}
