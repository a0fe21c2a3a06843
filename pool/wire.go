package pool

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/internal/errwire"
)

// wireError turns a function's failure into what travels back to the driver.
func wireError(ctx context.Context, err error) *driver.WireError {
	var pan *PanicError
	if errors.As(err, &pan) {
		return &driver.WireError{Code: driver.CodePanic, Message: "panic: " + pan.Value, Stack: pan.Stack}
	}
	w := &driver.WireError{Code: driver.CodeFunction, Message: err.Error(), Type: fmt.Sprintf("%T", err),
		Retryable: errors.Is(err, errRetryableMarker), Cause: errwire.Encode(err)}
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		w.Code = driver.CodeCanceled
		if errors.Is(err, context.DeadlineExceeded) {
			w.Code = driver.CodeTimeout
		}
	}
	return w
}

// fromWire turns a WireError back into an error on the driver side. A
// function's error comes back as the tree it was, with registered sentinels
// and types rebuilt, so errors.Is and errors.As answer as they would have in
// the worker; the nodes that cannot be rebuilt are *RemoteError with the
// same message, wrapping their children.
func fromWire(w *driver.WireError) error {
	if w.Code == driver.CodePanic {
		return &PanicError{Value: strings.TrimPrefix(w.Message, "panic: "), Stack: w.Stack}
	}
	if w.Cause != nil {
		top := true
		return errwire.Decode(w.Cause, func(msg, typ string, wrapped []error) error {
			e := &RemoteError{Code: w.Code, Message: msg, Type: typ, Wrapped: wrapped}
			if top {
				e.Retryable = w.Retryable
			}
			top = false
			return e
		})
	}
	switch w.Code {
	case driver.CodeTimeout:
		return fmt.Errorf("%s: %w", w.Message, context.DeadlineExceeded)
	case driver.CodeCanceled:
		return fmt.Errorf("%s: %w", w.Message, context.Canceled)
	}
	return &RemoteError{Code: w.Code, Message: w.Message, Type: w.Type, Retryable: w.Retryable}
}
