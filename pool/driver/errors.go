package driver

import (
	"errors"
	"time"
)

// Failures of the machinery rather than of the function. Backends wrap these
// so the pool knows a call may be retried; package pool exports the same
// values for callers to test with errors.Is.
var (
	// ErrWorkerLost: the worker running the call died or became unreachable.
	ErrWorkerLost = errors.New("pool: worker lost")
	// ErrThrottled: the platform refused the call for now (HTTP 429 and kin).
	ErrThrottled = errors.New("pool: throttled")
	// ErrTransient: a transport failure that a new attempt may not meet.
	ErrTransient = errors.New("pool: transient failure")
	// ErrBuildMismatch: the worker runs a different build than the driver.
	ErrBuildMismatch = errors.New("pool: driver and worker builds differ")
	// ErrUnknownFunction: the worker has no function of that name.
	ErrUnknownFunction = errors.New("pool: unknown function")
	// ErrBadInput: the worker could not decode the call's input.
	ErrBadInput = errors.New("pool: undecodable input")
	// ErrTooLarge: a message exceeds the backend's size limit.
	ErrTooLarge = errors.New("pool: message too large")
)

// Codes name a failure on the wire (Response.Error.Code).
const (
	CodeFunction        = "function"         // the function returned an error
	CodePanic           = "panic"            // the function panicked
	CodeUnknownFunction = "unknown_function" // no function of that name
	CodeBadInput        = "bad_input"        // input did not decode
	CodeBadOutput       = "bad_output"       // output did not encode
	CodeBuildMismatch   = "build_mismatch"   // driver and worker builds differ
	CodeTooLarge        = "too_large"        // message over the size limit
	CodeTimeout         = "timeout"          // the call's deadline passed in the worker
	CodeCanceled        = "canceled"         // the call was cancelled
	CodeProtocol        = "protocol"         // malformed envelope
)

// RetryAfter lets a backend say how long a throttled call should wait before
// its next attempt (a Retry-After header, say); the pool waits at least that.
type RetryAfter struct {
	Err   error
	After time.Duration
}

func (e *RetryAfter) Error() string { return e.Err.Error() }
func (e *RetryAfter) Unwrap() error { return e.Err }
