package pool

import (
	"errors"
	"fmt"

	"github.com/burst-dev/burst/pool/driver"
)

// Failures of the machinery rather than of the function, which backends
// report; test for them with errors.Is after retries ran out.
var (
	ErrWorkerLost      = driver.ErrWorkerLost      // the worker died or became unreachable
	ErrThrottled       = driver.ErrThrottled       // the platform refused the call for now
	ErrTransient       = driver.ErrTransient       // a transport failure a new attempt may not meet
	ErrBuildMismatch   = driver.ErrBuildMismatch   // the worker runs a different build
	ErrUnknownFunction = driver.ErrUnknownFunction // the worker has no function of that name
	ErrBadInput        = driver.ErrBadInput        // the worker could not decode the input
	ErrTooLarge        = driver.ErrTooLarge        // a message exceeds the backend's size limit
	// ErrClosed: the pool was closed.
	ErrClosed = errors.New("pool: closed")
)

var codeErrs = map[string]error{
	driver.CodeUnknownFunction: ErrUnknownFunction,
	driver.CodeBadInput:        ErrBadInput,
	driver.CodeBuildMismatch:   ErrBuildMismatch,
	driver.CodeTooLarge:        ErrTooLarge,
}

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
	Code      string // one of driver's Code… constants
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
