package pool

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/errwire"
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
	// ErrNoPool: a call was given no pool, and its context carries none.
	ErrNoPool = errors.New("pool: no pool")
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

// RemoteError is an error from a worker whose type this process cannot
// rebuild (it was not registered with RegisterErrorType): its message, Go
// type name and markers travel, and the errors it wrapped, rebuilt in turn,
// so errors.Is still finds an fs.ErrNotExist beneath it.
type RemoteError struct {
	Code      string // one of driver's Code… constants
	Message   string
	Type      string  // Go type of the original error, e.g. "*main.parseError"
	Retryable bool    // the function wrapped it with Retryable
	Wrapped   []error // the errors it wrapped, as rebuilt here
}

func (e *RemoteError) Error() string { return e.Message }

// Unwrap returns the wrapped errors, and maps the wire code back to the
// matching Err… value, so errors.Is works the same whether a failure was
// detected here or in the worker.
func (e *RemoteError) Unwrap() []error {
	errs := e.Wrapped
	if e.Retryable {
		errs = append(errs[:len(errs):len(errs)], errRetryableMarker)
	}
	if c := codeErrs[e.Code]; c != nil {
		errs = append(errs[:len(errs):len(errs)], c)
	}
	return errs
}

// RegisterError makes sentinel errors keep their identity across backends:
// when a function's error is or wraps one of errs, the caller's error wraps
// that very value, so errors.Is(err, ErrMine) answers as on local://. The
// standard library's sentinels that programs test for (fs.ErrNotExist,
// fs.ErrExist, fs.ErrPermission, io.EOF, io.ErrUnexpectedEOF,
// context.Canceled, context.DeadlineExceeded, …) are registered already.
// Call it at package level, as Register; driver and worker, the same binary,
// then agree. Sentinels are told apart by type and message, which must be
// unique among those registered; RegisterError panics otherwise.
func RegisterError(errs ...error) {
	for _, err := range errs {
		if e := errwire.RegisterSentinel(err); e != nil {
			panic("pool: RegisterError: " + e.Error())
		}
	}
}

// RegisterErrorType makes errors of type E cross backends as themselves,
// fields and all, so errors.As(err, &target) with a target of type E
// answers as on local://. *fs.PathError, *os.LinkError, *os.SyscallError and
// syscall.Errno are registered already. E's fields must pass the Register
// check (exported, no chan, func or error fields); it panics otherwise.
func RegisterErrorType[E error]() {
	if err := errwire.RegisterType(reflect.TypeFor[E]()); err != nil {
		panic("pool: RegisterErrorType: " + err.Error())
	}
}

// PanicError is a panic inside a function, caught so the worker survives.
type PanicError struct {
	Value string // fmt.Sprint of the panic value
	Stack string // the goroutine's stack at the panic
}

func (e *PanicError) Error() string { return "panic: " + e.Value + "\n" + e.Stack }

var errRetryableMarker = errors.New("pool: retryable")

func init() { RegisterError(errRetryableMarker) }

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
