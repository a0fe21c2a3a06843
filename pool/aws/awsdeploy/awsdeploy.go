// Package awsdeploy deploys a burst program as an AWS Lambda function on
// the provided.al2023 runtime: the static linux binary, built with the
// lambda.norpc tag, is zipped as bootstrap (byte for byte reproducible) and
// the function is created, or its code and configuration updated. The
// upload is skipped when the zip's SHA-256 equals the function's
// CodeSha256, so redeploying an unchanged binary uploads nothing. The
// binary's build id is stamped as BURST_BUILD_ID, so a worker refuses calls
// from a driver of another build.
//
//	d := awsdeploy.New(awsdeploy.Options{Function: "burst-fn", Region: "eu-west-1", Role: roleARN})
//	// build as d.Target() says, then
//	res, err := d.Deploy(ctx, driver.Artifact{Binary: bin, BuildID: id, Env: env, Log: log})
package awsdeploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/burst-dev/burst/pool/driver"
)

// Options say what to deploy where.
type Options struct {
	// Function is the function's name.
	Function string
	// Role is the execution role ARN a new function gets (required to
	// create one).
	Role string
	// Region, Profile (a shared-config profile, empty for the SDK's
	// default chain) and Endpoint (an emulator, a VPC endpoint) reach the
	// Lambda API; credentials come from the SDK's chain, never from here.
	Region, Profile, Endpoint string
	// Architecture is x86_64 (default) or arm64.
	Architecture string
	// MemoryMB (default 1024) and Timeout (default 900 s, Lambda's
	// maximum: the pool's own timeout governs calls).
	MemoryMB int
	Timeout  time.Duration
	// Client overrides the Lambda client made from the fields above.
	Client *lambda.Client
}

// Deployer deploys to Lambda; it is a driver.Deployer.
type Deployer struct{ o Options }

var _ driver.Deployer = (*Deployer)(nil)

// New returns a Deployer for the options.
func New(o Options) *Deployer { return &Deployer{o} }

// Target is linux on the function's architecture, with the lambda.norpc
// tag (the provided runtimes need no RPC mode).
func (d *Deployer) Target() driver.Target {
	goarch := "amd64"
	if d.o.Architecture == "arm64" {
		goarch = "arm64"
	}
	return driver.Target{GOARCH: goarch, Tags: []string{"lambda.norpc"}}
}

// Deploy creates or updates the function with the artifact's binary.
// Deployed.Hash is the zip's base64 SHA-256, as Lambda reports CodeSha256.
func (d *Deployer) Deploy(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
	o := d.o
	if o.Function == "" {
		return nil, errors.New("awsdeploy: no Function")
	}
	arch := o.Architecture
	if arch == "" {
		arch = "x86_64"
	}
	if arch != "x86_64" && arch != "arm64" {
		return nil, fmt.Errorf("awsdeploy: Architecture %q: want x86_64 or arm64", arch)
	}
	log := a.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	fn := o.Function
	zipped, err := zipBootstrap(a.Binary)
	if err != nil {
		return nil, fmt.Errorf("awsdeploy: zip: %w", err)
	}
	sum := sha256.Sum256(zipped)
	res := &driver.Deployed{Function: fn, Hash: base64.StdEncoding.EncodeToString(sum[:])}
	log.Info("zipped "+fn, "build", a.BuildID, "bytes", len(zipped), "sha256", res.Hash)

	client := o.Client
	if client == nil {
		if client, err = o.client(ctx); err != nil {
			return nil, err
		}
	}
	env := map[string]string{}
	maps.Copy(env, a.Env)
	if a.BuildID != "" {
		env["BURST_BUILD_ID"] = a.BuildID
	}
	memory := int32(o.MemoryMB)
	if memory == 0 {
		memory = 1024
	}
	timeout := int32(o.Timeout.Round(time.Second) / time.Second)
	if timeout <= 0 {
		timeout = 900
	}
	archs := []types.Architecture{types.Architecture(arch)}

	got, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: awssdk.String(fn)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		if o.Role == "" {
			return nil, fmt.Errorf("awsdeploy: %w: a Role (execution role ARN) is required to create function %s", ErrNoRole, fn)
		}
		log.Info("creating function "+fn, "memory_mb", memory, "timeout_s", timeout, "arch", arch)
		_, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: awssdk.String(fn), Role: awssdk.String(o.Role),
			Runtime: types.RuntimeProvidedal2023, Handler: awssdk.String("bootstrap"),
			Code:       &types.FunctionCode{ZipFile: zipped},
			MemorySize: awssdk.Int32(memory), Timeout: awssdk.Int32(timeout), Architectures: archs,
			Environment: &types.Environment{Variables: env},
			Description: awssdk.String("burst worker (github.com/burst-dev/burst)"),
		})
		if err != nil {
			return nil, fmt.Errorf("awsdeploy: create function %s: %w", fn, err)
		}
		res.Changed = true
		return res, waitUpdated(ctx, client, fn)
	case err != nil:
		return nil, fmt.Errorf("awsdeploy: get function %s: %w", fn, err)
	}
	cur := got.Configuration
	if awssdk.ToString(cur.CodeSha256) == res.Hash {
		log.Info("code unchanged: not uploading", "sha256", res.Hash)
	} else {
		log.Info("uploading new code to " + fn)
		if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
			FunctionName: awssdk.String(fn), ZipFile: zipped, Architectures: archs,
		}); err != nil {
			return nil, fmt.Errorf("awsdeploy: update code of %s: %w", fn, err)
		}
		res.Changed = true
		if err := waitUpdated(ctx, client, fn); err != nil {
			return nil, err
		}
	}
	// Keep the function's other variables; set ours.
	merged := map[string]string{}
	if cur.Environment != nil {
		maps.Copy(merged, cur.Environment.Variables)
	}
	changed := awssdk.ToInt32(cur.MemorySize) != memory || awssdk.ToInt32(cur.Timeout) != timeout
	for k, v := range env {
		if merged[k] != v {
			changed = true
		}
		merged[k] = v
	}
	if changed {
		log.Info("updating configuration of "+fn, "memory_mb", memory, "timeout_s", timeout, "build", a.BuildID)
		if _, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: awssdk.String(fn), MemorySize: awssdk.Int32(memory), Timeout: awssdk.Int32(timeout),
			Environment: &types.Environment{Variables: merged},
		}); err != nil {
			return nil, fmt.Errorf("awsdeploy: update configuration of %s: %w", fn, err)
		}
		res.Changed = true
		if err := waitUpdated(ctx, client, fn); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// ErrNoRole is returned when a function must be created and Options.Role
// is empty.
var ErrNoRole = errors.New("no execution role")

// waitUpdated polls until the function is no longer being updated: Lambda
// refuses a second update, and serves the old code, until then.
func waitUpdated(ctx context.Context, c *lambda.Client, fn string) error {
	wait := 100 * time.Millisecond
	for {
		out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: awssdk.String(fn)})
		if err != nil {
			return fmt.Errorf("awsdeploy: state of %s: %w", fn, err)
		}
		if out.State == types.StateFailed || out.LastUpdateStatus == types.LastUpdateStatusFailed {
			return fmt.Errorf("awsdeploy: %s failed to update: %s", fn, awssdk.ToString(out.LastUpdateStatusReason))
		}
		if out.State != types.StatePending && out.LastUpdateStatus != types.LastUpdateStatusInProgress {
			return nil
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// zipBootstrap makes a zip holding the binary as an executable named
// bootstrap, with a fixed time stamp, so that the same binary always gives
// the same zip and hash.
func zipBootstrap(bin string) ([]byte, error) {
	data, err := os.ReadFile(bin)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// client makes a Lambda client: region, profile and endpoint from the
// options, credentials from the SDK's chain.
func (o Options) client(ctx context.Context) (*lambda.Client, error) {
	var lo []func(*config.LoadOptions) error
	if o.Region != "" {
		lo = append(lo, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(o.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("awsdeploy: load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("awsdeploy: %w: set aws.region, BURST_AWS_REGION or AWS_REGION", ErrNoRegion)
	}
	return lambda.NewFromConfig(awsCfg, func(lo *lambda.Options) {
		if o.Endpoint != "" {
			lo.BaseEndpoint = awssdk.String(o.Endpoint)
		}
	}), nil
}

// ErrNoRegion is returned when neither the options nor the SDK's chain
// name a region.
var ErrNoRegion = errors.New("no AWS region")
