package pool

import (
	"errors"
	"fmt"
	"time"
)

// Failures of the machinery rather than of the function. Backends wrap these
// so the pool knows a call may be retried; callers can test for them with
// errors.Is after retries ran out.
var (
	// ErrWorkerLost: the worker running the call died or became unreachable.
	ErrWorkerLost = errors.New("pool: worker lost")
	// ErrThrottled: the platform refused the call for now (HTTP 429 and kin).
	ErrThrottled = errors.New("pool: throttled")
	// ErrTransient: a transport failure that a new attempt may not meet.
	ErrTransient = errors.New("pool: transient failure")
	// ErrClosed: the pool was closed.
	ErrClosed = errors.New("pool: closed")
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

var codeErrs = map[string]error{
	CodeUnknownFunction: ErrUnknownFunction,
	CodeBadInput:        ErrBadInput,
	CodeBuildMismatch:   ErrBuildMismatch,
	CodeTooLarge:        ErrTooLarge,
}

// protocolError is a failure the worker reports with a code rather than the
// function's own error.
type protocolError struct {
	code string
	msg  string
}

func (e *protocolError) Error() string { return e.msg }

// CallError is what every failed call returns: it names the call and wraps
// the cause, so errors.Is and errors.As reach the function's own error, a
// *RemoteError, a *PanicError or one of the Err… values above.
type CallError struct {
	Func     string // registered name
	ID       uint64 // call id within the pool
	Attempts int
	Err      error
}

func (e *CallError) Error() string {
	if e.Attempts > 1 {
		return fmt.Sprintf("pool: call %s#%d (%d attempts): %v", e.Func, e.ID, e.Attempts, e.Err)
	}
	return fmt.Sprintf("pool: call %s#%d: %v", e.Func, e.ID, e.Err)
}

func (e *CallError) Unwrap() error { return e.Err }

// RemoteError is a function's error that crossed a process boundary: its
// type cannot travel, so its message, Go type name and markers do.
type RemoteError struct {
	Code      string // one of the Code… constants
	Message   string
	Type      string // Go type of the original error, e.g. "*fs.PathError"
	Retryable bool   // the function wrapped it with Retryable
}

func (e *RemoteError) Error() string { return e.Message }

// Unwrap maps the wire code back to the matching Err… value, so errors.Is
// works the same whether a failure was detected here or in the worker.
func (e *RemoteError) Unwrap() error {
	if e.Retryable {
		return errRetryableMarker
	}
	return codeErrs[e.Code]
}

// PanicError is a panic inside a function, caught so the worker survives.
type PanicError struct {
	Value string // fmt.Sprint of the panic value
	Stack string // the goroutine's stack at the panic
}

func (e *PanicError) Error() string { return "panic: " + e.Value + "\n" + e.Stack }

var errRetryableMarker = errors.New("pool: retryable")

type retryableError struct{ err error }

func (e retryableError) Error() string   { return e.err.Error() }
func (e retryableError) Unwrap() []error { return []error{e.err, errRetryableMarker} }

// Retryable marks a function's error as worth another attempt; without it a
// function's own error is returned at once. It returns nil for nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return retryableError{err}
}

// IsRetryable reports whether the pool would retry err: a lost worker, a
// throttled or transient failure, or an error marked with Retryable.
func IsRetryable(err error) bool {
	return errors.Is(err, ErrWorkerLost) || errors.Is(err, ErrThrottled) ||
		errors.Is(err, ErrTransient) || errors.Is(err, errRetryableMarker)
}

// RetryAfter lets a backend say how long a throttled call should wait before
// its next attempt (a Retry-After header, say); the pool waits at least that.
type RetryAfter struct {
	Err   error
	After time.Duration
}

func (e *RetryAfter) Error() string { return e.Err.Error() }
func (e *RetryAfter) Unwrap() error { return e.Err }
