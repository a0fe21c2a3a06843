package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/burst-dev/burst/pool/driver"
)

// ErrOutOfMemory is wrapped by the *FunctionError of a call whose function
// was killed for exceeding its memory size. It is not retried: the same call
// would die again. Raise the function's memory (compute.memory in burst.yaml).
var ErrOutOfMemory = errors.New("aws: function ran out of memory")

// FunctionError is a failure Lambda reported for the invocation itself rather
// than one the function returned (those travel inside the result envelope and
// come back as the function's own error): a timeout, an out-of-memory kill, a
// crash of the runtime. errors.Is reaches context.DeadlineExceeded for a
// timeout, ErrOutOfMemory for memory, and driver.ErrWorkerLost for a crash
// (which the pool retries on a fresh instance).
type FunctionError struct {
	Function string // function name or ARN
	Type     string // Lambda's errorType, e.g. "Sandbox.Timedout", "Runtime.ExitError"
	Message  string // Lambda's errorMessage
	cause    error
}

func (e *FunctionError) Error() string {
	return fmt.Sprintf("aws: function %s: %s: %s", e.Function, e.Type, e.Message)
}

func (e *FunctionError) Unwrap() error { return e.cause }

func functionError(fn, kind string, payload []byte) error {
	var body struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}
	if err := json.Unmarshal(payload, &body); err != nil || (body.Message == "" && body.Type == "") {
		body.Message = fmt.Sprintf("%.300s", payload)
	}
	if body.Type == "" {
		body.Type = kind
	}
	e := &FunctionError{Function: fn, Type: body.Type, Message: body.Message}
	msg := strings.ToLower(body.Message)
	switch {
	case strings.Contains(body.Type, "Timedout") || strings.Contains(body.Type, "Timeout") || strings.Contains(msg, "timed out"):
		e.cause = context.DeadlineExceeded
	case strings.Contains(body.Type, "OutOfMemory") || strings.Contains(msg, "out of memory") ||
		strings.Contains(msg, "signal: killed") || strings.Contains(msg, "memory size"):
		e.cause = ErrOutOfMemory
	case strings.HasPrefix(body.Type, "Runtime."):
		e.cause = driver.ErrWorkerLost
	}
	return e
}

// classify maps an Invoke failure to the pool's retry classes. Only the
// error's code and message are kept, and the SDK never puts credentials in
// either.
func classify(fn string, err error) error {
	wrap := func(class error, what string) error {
		return fmt.Errorf("aws: invoke %s: %s: %w", fn, what, errors.Join(class, err))
	}
	var tooMany *types.TooManyRequestsException
	if errors.As(err, &tooMany) {
		e := wrap(driver.ErrThrottled, "throttled")
		if tooMany.RetryAfterSeconds != nil {
			if s, perr := strconv.Atoi(*tooMany.RetryAfterSeconds); perr == nil && s > 0 {
				return &driver.RetryAfter{Err: e, After: time.Duration(s) * time.Second}
			}
		}
		return e
	}
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return fmt.Errorf("aws: function %s not found (deploy it first: see docs/providers/aws.md): %w", fn, err)
	}
	var tooLarge *types.RequestTooLargeException
	if errors.As(err, &tooLarge) {
		return wrap(driver.ErrTooLarge, "request too large")
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "Runtime.Unavailable", "ThrottlingException", "EC2ThrottledException", "TooManyRequestsException":
			return wrap(driver.ErrThrottled, "throttled")
		case "ServiceException", "ResourceConflictException", "ResourceNotReadyException", "EC2UnexpectedException":
			return wrap(driver.ErrTransient, "service not ready")
		}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		code := re.HTTPStatusCode()
		switch {
		case code == http.StatusTooManyRequests:
			return wrap(driver.ErrThrottled, "throttled")
		case code == http.StatusBadRequest && (api == nil || api.ErrorCode() == "" || api.ErrorCode() == "UnknownError"):
			// The emulator answers a bare 400 when its one runtime is
			// already serving a call: that is a busy function, not bad input.
			return wrap(driver.ErrThrottled, "runtime busy")
		case code == http.StatusBadGateway && (api == nil || api.ErrorCode() == "UnknownError"):
			// The emulator's answer when the function's process exited
			// mid-call; Lambda itself reports that as a function error.
			return wrap(driver.ErrWorkerLost, "runtime exited")
		case code >= 500:
			return wrap(driver.ErrTransient, "service error")
		}
		return fmt.Errorf("aws: invoke %s: %w", fn, err)
	}
	if api != nil {
		return fmt.Errorf("aws: invoke %s: %w", fn, err)
	}
	// No HTTP response at all: the connection failed or broke. The call may
	// or may not have run; calls are at-least-once, so try again.
	return wrap(driver.ErrTransient, "transport")
}
