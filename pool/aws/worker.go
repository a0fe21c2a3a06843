package aws

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/spill"
)

// EnvRuntimeAPI is set by Lambda (and by the emulator) in a function's
// environment; its presence makes pool.Main serve calls.
const EnvRuntimeAPI = "AWS_LAMBDA_RUNTIME_API"

func init() {
	driver.RegisterWorker("aws", func() bool { return os.Getenv(EnvRuntimeAPI) != "" }, serve)
}

// serve runs the Lambda runtime loop with aws-lambda-go; it only returns on a
// runtime API failure (aws-lambda-go then exits the process itself). Under
// AWS_LAMBDA_MAX_CONCURRENCY aws-lambda-go polls for that many calls at once.
func serve(ctx context.Context) error {
	id := os.Getenv("AWS_LAMBDA_LOG_STREAM_NAME")
	if id == "" || id == "$LATEST" {
		host, _ := os.Hostname()
		id = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	driver.SetWorkerID(os.Getenv("AWS_LAMBDA_FUNCTION_NAME") + "/" + id)
	h, err := spill.HandlerFromEnv(ctx)
	if err != nil {
		return fmt.Errorf("aws worker: %w", err)
	}
	if h.Store != nil && h.Threshold == 0 {
		h.Threshold = DefaultSpillThreshold
	}
	lambda.StartWithOptions(handler{h}, lambda.WithContext(ctx))
	return fmt.Errorf("aws worker: lambda runtime loop ended")
}

// DefaultSpillThreshold is where a worker with a payload store
// (BURST_SPILL_URL) spills results unless BURST_SPILL_THRESHOLD says
// otherwise: Lambda's limit less room for the rest of the envelope. Drivers
// use the same figure for inputs (see providers).
const DefaultSpillThreshold = MaxPayload - 64<<10

// handler is a raw lambda.Handler: the payload is the call envelope, so no
// reflection-based decoding is needed.
type handler struct{ h driver.Handler }

func (w handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	// End the function's context a little before Lambda's own deadline, so
	// a function that honours ctx answers with a timeout error of its own
	// instead of being killed with the instance (and every call it holds).
	if d, ok := ctx.Deadline(); ok {
		margin := min(max(time.Until(d)/10, 50*time.Millisecond), time.Second)
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, d.Add(-margin))
		defer cancel()
	}
	req := new(driver.Request)
	var resp *driver.Response
	if err := json.Unmarshal(payload, req); err != nil {
		resp = &driver.Response{Version: driver.ProtocolVersion, Error: &driver.WireError{Code: driver.CodeProtocol,
			Message: fmt.Sprintf("aws worker: undecodable call envelope (%d bytes): %v", len(payload), err)}}
	} else {
		resp = w.h.Handle(ctx, req)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		b, _ = json.Marshal(&driver.Response{Version: driver.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt,
			Error: &driver.WireError{Code: driver.CodeBadOutput, Message: "aws worker: encode response: " + err.Error()}})
	}
	if len(b) > MaxPayload {
		b, _ = json.Marshal(&driver.Response{Version: driver.ProtocolVersion, ID: resp.ID, Attempt: resp.Attempt, Worker: resp.Worker,
			Error: &driver.WireError{Code: driver.CodeTooLarge, Message: fmt.Sprintf(
				"aws worker: result of %d bytes exceeds Lambda's synchronous limit of %d bytes (give the pool a payload store)", len(b), MaxPayload)}})
	}
	return b, nil
}
