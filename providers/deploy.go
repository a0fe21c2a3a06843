package providers

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/spill"
)

// DeployOptions configure Deploy.
type DeployOptions struct {
	// Package is the main package to build, as for go build (default ".").
	Package string
	// Dir is where go build runs (default: the current directory).
	Dir string
	// BuildFlags are extra go build flags, e.g. -ldflags=….
	BuildFlags []string
	// Env is added to the function's environment.
	Env map[string]string
	// Client overrides the Lambda client made from the config.
	Client *lambda.Client
	// Log receives one line per step (default: nothing).
	Log io.Writer
}

// DeployResult says what Deploy did.
type DeployResult struct {
	Function   string
	BuildID    string // stamped as BURST_BUILD_ID; give it to aws.Options.BuildID
	CodeSha256 string // base64 SHA-256 of the zip, as Lambda reports it
	Created    bool   // the function did not exist
	Uploaded   bool   // new code was uploaded (false: the hash matched)
	Configured bool   // memory, timeout or environment were changed
}

// Deploy builds the program's main package for Lambda (linux, the config's
// architecture, CGO_ENABLED=0, -tags lambda.norpc), zips it as bootstrap and
// creates or updates compute.function on the provided.al2023 runtime with
// the config's role, memory and timeout. The upload is skipped when the zip's
// hash equals the function's CodeSha256 (the zip is byte-for-byte
// reproducible). The binary's build id is stamped in the function's
// environment as BURST_BUILD_ID, so a worker refuses calls from a driver of
// another build, and BURST_SPILL_URL is set from storage when the workers
// can reach it.
func Deploy(ctx context.Context, cfg *Config, o DeployOptions) (*DeployResult, error) {
	if cfg.Compute.Backend != "aws" {
		return nil, cfg.fail("compute.backend", "deploy supports backend aws; got %s (see docs/providers/ for the others)", cfg.Compute.Backend)
	}
	fn := cfg.Compute.Function
	logf := func(format string, args ...any) {
		if o.Log != nil {
			fmt.Fprintf(o.Log, format+"\n", args...)
		}
	}
	arch := cfg.AWS.Architecture
	if arch == "" {
		arch = "x86_64"
	}
	goarch := map[string]string{"x86_64": "amd64", "arm64": "arm64"}[arch]

	dir, err := os.MkdirTemp("", "burst-deploy-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "bootstrap")
	pkg := o.Package
	if pkg == "" {
		pkg = "."
	}
	args := append([]string{"build", "-trimpath", "-tags", "lambda.norpc", "-o", bin}, o.BuildFlags...)
	args = append(args, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = o.Dir
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH="+goarch, "CGO_ENABLED=0")
	logf("building %s for linux/%s", pkg, goarch)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("providers: deploy: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	res := &DeployResult{Function: fn}
	if res.BuildID, err = driver.BuildIDOf(bin); err != nil {
		return nil, fmt.Errorf("providers: deploy: build id: %w", err)
	}
	zipped, err := zipBootstrap(bin)
	if err != nil {
		return nil, fmt.Errorf("providers: deploy: zip: %w", err)
	}
	sum := sha256.Sum256(zipped)
	res.CodeSha256 = base64.StdEncoding.EncodeToString(sum[:])
	logf("built %s: build %s, %d bytes zipped, sha256 %s", fn, res.BuildID, len(zipped), res.CodeSha256)

	client := o.Client
	if client == nil {
		if client, err = cfg.lambdaClient(ctx); err != nil {
			return nil, err
		}
	}
	env := map[string]string{"BURST_BUILD_ID": res.BuildID}
	if st := cfg.Storage; st != "" && !strings.HasPrefix(st, "mem://") {
		env[spill.EnvURL] = st
	}
	for k, v := range o.Env {
		env[k] = v
	}
	memory := int32(cfg.Compute.Memory)
	if memory == 0 {
		memory = DefaultMemoryMB
	}
	timeout := int32(cfg.Compute.Timeout.D().Round(time.Second) / time.Second)
	if timeout <= 0 {
		timeout = 900 // Lambda's maximum: the pool's own timeout governs calls
	}
	archs := []types.Architecture{types.Architecture(arch)}

	got, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: awssdk.String(fn)})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		if cfg.AWS.Role == "" {
			return nil, cfg.fail("aws.role", "required to create function %s: the ARN of its execution role", fn)
		}
		logf("creating function %s (%d MB, %ds, %s)", fn, memory, timeout, arch)
		_, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: awssdk.String(fn), Role: awssdk.String(cfg.AWS.Role),
			Runtime: types.RuntimeProvidedal2023, Handler: awssdk.String("bootstrap"),
			Code:       &types.FunctionCode{ZipFile: zipped},
			MemorySize: awssdk.Int32(memory), Timeout: awssdk.Int32(timeout), Architectures: archs,
			Environment: &types.Environment{Variables: env},
			Description: awssdk.String("burst worker (github.com/burst-dev/burst)"),
		})
		if err != nil {
			return nil, fmt.Errorf("providers: deploy: create function %s: %w", fn, err)
		}
		res.Created, res.Uploaded, res.Configured = true, true, true
		return res, waitUpdated(ctx, client, fn)
	case err != nil:
		return nil, fmt.Errorf("providers: deploy: get function %s: %w", fn, err)
	}
	cur := got.Configuration
	if awssdk.ToString(cur.CodeSha256) == res.CodeSha256 {
		logf("code unchanged (sha256 %s): not uploading", res.CodeSha256)
	} else {
		logf("uploading new code to %s", fn)
		if _, err := client.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
			FunctionName: awssdk.String(fn), ZipFile: zipped, Architectures: archs,
		}); err != nil {
			return nil, fmt.Errorf("providers: deploy: update code of %s: %w", fn, err)
		}
		res.Uploaded = true
		if err := waitUpdated(ctx, client, fn); err != nil {
			return nil, err
		}
	}
	// Keep the function's other variables; set ours.
	merged := map[string]string{}
	if cur.Environment != nil {
		for k, v := range cur.Environment.Variables {
			merged[k] = v
		}
	}
	changed := awssdk.ToInt32(cur.MemorySize) != memory || awssdk.ToInt32(cur.Timeout) != timeout
	for k, v := range env {
		if merged[k] != v {
			changed = true
		}
		merged[k] = v
	}
	if changed {
		logf("updating configuration of %s (%d MB, %ds, build %s)", fn, memory, timeout, res.BuildID)
		if _, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: awssdk.String(fn), MemorySize: awssdk.Int32(memory), Timeout: awssdk.Int32(timeout),
			Environment: &types.Environment{Variables: merged},
		}); err != nil {
			return nil, fmt.Errorf("providers: deploy: update configuration of %s: %w", fn, err)
		}
		res.Configured = true
		if err := waitUpdated(ctx, client, fn); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// waitUpdated polls until the function is no longer being updated: Lambda
// refuses a second update, and serves the old code, until then.
func waitUpdated(ctx context.Context, c *lambda.Client, fn string) error {
	wait := 100 * time.Millisecond
	for {
		out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: awssdk.String(fn)})
		if err != nil {
			return fmt.Errorf("providers: deploy: state of %s: %w", fn, err)
		}
		if out.State == types.StateFailed || out.LastUpdateStatus == types.LastUpdateStatusFailed {
			return fmt.Errorf("providers: deploy: %s failed to update: %s", fn, awssdk.ToString(out.LastUpdateStatusReason))
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

// lambdaClient makes a Lambda client from the aws block: region, profile,
// endpoint; credentials from the SDK's chain (never from the file).
func (c *Config) lambdaClient(ctx context.Context) (*lambda.Client, error) {
	var lo []func(*config.LoadOptions) error
	if c.AWS.Region != "" {
		lo = append(lo, config.WithRegion(c.AWS.Region))
	}
	if c.AWS.Credentials == "profile" {
		lo = append(lo, config.WithSharedConfigProfile(c.AWS.Profile))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("providers: load AWS config: %w", err)
	}
	if awsCfg.Region == "" {
		return nil, c.fail("aws.region", "no region: set aws.region, BURST_AWS_REGION or AWS_REGION")
	}
	return lambda.NewFromConfig(awsCfg, func(o *lambda.Options) {
		if c.AWS.Endpoint != "" {
			o.BaseEndpoint = awssdk.String(c.AWS.Endpoint)
		}
	}), nil
}
