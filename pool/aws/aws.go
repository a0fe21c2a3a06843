// Package aws is the pool backend that runs calls on AWS Lambda. Importing it
// registers the "aws" scheme with pool.Open:
//
//	p, err := pool.Open(ctx, "aws://my-function?region=eu-west-1")
//
// Each call is one synchronous lambda.Invoke (RequestResponse) whose payload
// is the call envelope; the function is this very program, deployed as a
// provided.al2023 custom runtime (a binary named bootstrap, built with
// CGO_ENABLED=0 and -tags lambda.norpc; see providers and docs/providers/aws.md).
// In the function, pool.Main notices AWS_LAMBDA_RUNTIME_API and serves calls
// with aws-lambda-go.
//
// Region, credentials and endpoint come from the URL or Options, else from the
// SDK's default chain, which honours AWS_ENDPOINT_URL_LAMBDA and
// AWS_ENDPOINT_URL (that is how tests point the backend at the Lambda Runtime
// Interface Emulator). The SDK's own retries are off: the pool owns retries,
// so attempts and backoff are counted and configured in one place.
//
// Throttling (TooManyRequestsException, HTTP 429, and the emulator's 400
// Runtime.Unavailable when its runtimes are busy) comes back as
// driver.ErrThrottled and service faults as driver.ErrTransient, so the pool
// retries them with backoff; a Lambda timeout wraps
// context.DeadlineExceeded and an out-of-memory kill wraps ErrOutOfMemory,
// both in a *FunctionError naming the function.
package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/burst-dev/burst/pool/driver"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "aws"

// MaxPayload is Lambda's limit on a synchronous invocation's request and
// response (6 MB). Larger envelopes need the pool's payload spill.
const MaxPayload = 6 * 1024 * 1024

// DefaultConcurrency is the backend's Limit when Options.Concurrency is 0:
// Lambda scales out per call, so this bounds the driver's sockets and the
// account's concurrency use rather than CPU.
const DefaultConcurrency = 64

// Options configure a Backend.
type Options struct {
	// Function is the function's name or ARN (required).
	Function string
	// Qualifier selects a version or alias (default $LATEST).
	Qualifier string
	// Region overrides the SDK's default region chain.
	Region string
	// Endpoint overrides the Lambda endpoint, e.g. the emulator's
	// http://127.0.0.1:PORT. AWS_ENDPOINT_URL_LAMBDA does the same without code.
	Endpoint string
	// Profile names a shared-config profile (~/.aws/config).
	Profile string
	// Concurrency is the backend's Limit (default DefaultConcurrency).
	Concurrency int
	// MaxPayload bounds an encoded envelope in bytes (default MaxPayload).
	MaxPayload int
	// BuildID, when set, replaces the driver's own build id in every call: the
	// id a deploy stamped on the function from this program's source (the
	// driver's own binary is usually built for another OS, so its id differs).
	// The worker refuses calls when its build differs, which is how a stale
	// function is caught.
	BuildID string
	// Config, when set, is used instead of loading the SDK's default config.
	Config *aws.Config
}

func init() {
	driver.RegisterCapabilities(Scheme, driver.Capabilities{Remote: true, MaxMessage: MaxPayload, SpillThreshold: DefaultSpillThreshold, Retries: 8})
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		if err := driver.UnknownParams(u, "region", "endpoint", "qualifier", "profile", "concurrency", "max_payload", "build"); err != nil {
			return nil, err
		}
		q := u.Query()
		o := Options{Function: u.Host + strings.TrimPrefix(u.Path, "/"), Region: q.Get("region"), Endpoint: q.Get("endpoint"),
			Qualifier: q.Get("qualifier"), Profile: q.Get("profile"), BuildID: q.Get("build")}
		if u.Opaque != "" {
			o.Function = u.Opaque
		}
		if err := driver.IntParams("aws", q, map[string]*int{"concurrency": &o.Concurrency, "max_payload": &o.MaxPayload}); err != nil {
			return nil, err
		}
		return New(ctx, o)
	})
}

// Backend invokes one Lambda function.
type Backend struct {
	opts   Options
	client *lambda.Client
	// life ends at Close, ending invocations whose callers gave up.
	life context.Context
	stop context.CancelFunc
	// running holds a token per invocation whose request is open, abandoned
	// ones included; its capacity is Options.Concurrency.
	running chan struct{}
}

// New makes a Backend. It loads the AWS config (region, credentials,
// endpoint) but makes no call to AWS.
func New(ctx context.Context, o Options) (*Backend, error) {
	if o.Function == "" {
		return nil, errors.New("aws: no function name (want aws://FUNCTION-NAME?region=…)")
	}
	if o.Concurrency < 1 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxPayload < 1 {
		o.MaxPayload = MaxPayload
	}
	if o.Endpoint != "" {
		if u, err := url.Parse(o.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("aws: endpoint %q: want an http:// or https:// URL", o.Endpoint)
		}
	}
	var cfg aws.Config
	if o.Config != nil {
		cfg = o.Config.Copy()
	} else {
		var lo []func(*config.LoadOptions) error
		if o.Region != "" {
			lo = append(lo, config.WithRegion(o.Region))
		}
		if o.Profile != "" {
			lo = append(lo, config.WithSharedConfigProfile(o.Profile))
		}
		var err error
		cfg, err = config.LoadDefaultConfig(ctx, lo...)
		if err != nil {
			// The SDK's message names the profile or file, never a secret.
			return nil, fmt.Errorf("aws: load AWS config: %w", err)
		}
	}
	if o.Region != "" {
		cfg.Region = o.Region
	}
	if cfg.Region == "" {
		return nil, errors.New("aws: no region: set aws://…?region=, the config's aws.region, or AWS_REGION")
	}
	n := o.Concurrency
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		// One kept-alive connection per call in flight, so a busy pool does
		// not pay a TCP (and TLS) handshake per call.
		tr.MaxIdleConns = max(tr.MaxIdleConns, n)
		tr.MaxIdleConnsPerHost = n
	})
	client := lambda.NewFromConfig(cfg, func(lo *lambda.Options) {
		lo.HTTPClient = httpClient
		lo.Retryer = aws.NopRetryer{}
		if o.Endpoint != "" {
			lo.BaseEndpoint = aws.String(o.Endpoint)
		}
	})
	life, stop := context.WithCancel(context.Background())
	return &Backend{opts: o, client: client, life: life, stop: stop, running: make(chan struct{}, n)}, nil
}

// Limit is Options.Concurrency.
func (b *Backend) Limit() int { return b.opts.Concurrency }

// Close ends the requests of calls that were abandoned; the functions
// themselves belong to AWS.
func (b *Backend) Close() error {
	b.stop()
	return nil
}

// Function is the function name or ARN the backend invokes.
func (b *Backend) Function() string { return b.opts.Function }

// As reaches the native client: a **lambda.Client.
func (b *Backend) As(i any) bool {
	if p, ok := i.(**lambda.Client); ok {
		*p = b.client
		return true
	}
	return false
}

// Invoke runs req as one synchronous invocation.
func (b *Backend) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	if b.opts.BuildID != "" && req.Build != "" {
		r := *req
		r.Build = b.opts.BuildID
		req = &r
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("aws: encode call: %w", err)
	}
	if len(payload) > b.opts.MaxPayload {
		return nil, fmt.Errorf("aws: call of %d bytes exceeds Lambda's synchronous limit of %d bytes (give the pool a payload store for large inputs): %w",
			len(payload), b.opts.MaxPayload, driver.ErrTooLarge)
	}
	in := &lambda.InvokeInput{FunctionName: aws.String(b.opts.Function), Payload: payload,
		InvocationType: types.InvocationTypeRequestResponse}
	if b.opts.Qualifier != "" {
		in.Qualifier = aws.String(b.opts.Qualifier)
	}
	out, err := b.invoke(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, classify(b.opts.Function, err)
	}
	if out.FunctionError != nil {
		return nil, functionError(b.opts.Function, *out.FunctionError, out.Payload)
	}
	resp := new(driver.Response)
	if err := json.Unmarshal(out.Payload, resp); err != nil || resp.Version == 0 {
		// The emulator reports some failures without the X-Amz-Function-Error
		// header: a timeout as bare text, a lost runtime as {"errorType":…}.
		if s := string(out.Payload); strings.HasPrefix(s, "Task timed out") {
			return nil, functionError(b.opts.Function, "Unhandled", []byte(`{"errorType":"Sandbox.Timedout","errorMessage":`+strconv.Quote(s)+`}`))
		}
		var lambdaErr struct {
			Type string `json:"errorType"`
		}
		if json.Unmarshal(out.Payload, &lambdaErr) == nil && lambdaErr.Type != "" {
			return nil, functionError(b.opts.Function, "Unhandled", out.Payload)
		}
		return nil, fmt.Errorf("aws: function %s answered with something other than a burst result envelope (is it a burst program that calls pool.Main first?): %.200q",
			b.opts.Function, out.Payload)
	}
	return resp, nil
}

// MaxFunctionTimeout is Lambda's upper bound on a function's run time.
const MaxFunctionTimeout = 15 * time.Minute

// invoke makes the HTTP call detached from ctx: when ctx ends, invoke returns
// at once but the request stays open until the function answers (bounded by
// the call's deadline, or Lambda's maximum run time, plus a grace period).
// Lambda cannot cancel a running invocation anyway, and closing the
// connection early makes the runtime's own answer bounce, which aws-lambda-go
// treats as fatal: the instance would die with every call it holds.
func (b *Backend) invoke(ctx context.Context, in *lambda.InvokeInput) (*lambda.InvokeOutput, error) {
	wait := MaxFunctionTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = time.Until(d)
	}
	// An abandoned invocation still runs on Lambda and still counts against
	// the function's concurrency, so its slot is held until its request
	// ends, not until its caller leaves: the next call waits rather than
	// exceed the concurrency the user configured (a single-instance emulator
	// fails outright on a second call at once).
	select {
	case b.running <- struct{}{}:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	dctx, cancel := context.WithTimeout(b.life, max(wait, 0)+abandonGrace)
	type result struct {
		out *lambda.InvokeOutput
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-b.running }()
		defer cancel()
		out, err := b.client.Invoke(dctx, in)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		return r.out, r.err
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

const abandonGrace = 30 * time.Second
