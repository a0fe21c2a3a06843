// Package gcpdeploy deploys a burst program as a Cloud Run function (gen2):
// it builds the function's source from the program's module (see Source),
// uploads it to the URL GenerateUploadUrl hands out, and creates or updates
// the function through the Cloud Functions v2 API, so Google's build turns
// it into the worker. A label with the hash of the source and settings makes
// a redeploy of unchanged code a no-op.
package gcpdeploy

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"

	functions "cloud.google.com/go/functions/apiv2"
	"cloud.google.com/go/functions/apiv2/functionspb"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/option"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/gcp/gcpworker"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/spill"
)

// Options say what to deploy where.
type Options struct {
	Project, Region, Function string
	// ModuleDir is the program's module root and MainDir its main package,
	// relative to ModuleDir (default ".").
	ModuleDir, MainDir string
	// Secret is the shared secret (BURST_SECRET of the function).
	Secret []byte
	// Runtime is the Go runtime (default "go125").
	Runtime string
	// Memory (default "512Mi"), Timeout in seconds (default 300),
	// MaxInstances (default 100); each instance takes one call at a time,
	// as CPU-bound work wants.
	Memory       string
	Timeout      int32
	MaxInstances int32
	// ServiceAccount the function runs as (default: the project's default).
	ServiceAccount string
	// SpillURL and SpillThreshold configure the worker's payload store.
	SpillURL       string
	SpillThreshold int
	// Env adds environment variables.
	Env map[string]string
	// ClientOptions reach the API (credentials; tests pass an endpoint).
	ClientOptions []option.ClientOption
	// HTTP uploads the source (default http.DefaultClient).
	HTTP *http.Client
}

// Result is what a deploy leaves behind.
type Result struct {
	Changed bool   // false when the function already had this source and settings
	URL     string // the function's URL, for gcp://?url=
}

// HashLabel is the function label holding the deploy hash.
const HashLabel = "burst-hash"

// Deploy creates or updates the function, waiting for Google's build.
func Deploy(ctx context.Context, o Options) (*Result, error) {
	if o.Project == "" || o.Region == "" || o.Function == "" || o.ModuleDir == "" {
		return nil, errors.New("gcpdeploy: Project, Region, Function and ModuleDir are required")
	}
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("gcpdeploy: no Secret: the worker refuses every call without %s", httpfn.EnvSecret)
	}
	if o.MainDir == "" {
		o.MainDir = "."
	}
	if o.Runtime == "" {
		o.Runtime = "go125"
	}
	if o.Memory == "" {
		o.Memory = "512Mi"
	}
	if o.Timeout == 0 {
		o.Timeout = 300
	}
	if o.MaxInstances == 0 {
		o.MaxInstances = 100
	}
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	src, err := Source(o.ModuleDir, o.MainDir)
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		httpfn.EnvSecret: string(o.Secret),
		// Google builds its own binary, whose build id differs from the
		// driver's; pin the worker's to the deploying driver's, so drivers
		// built from other sources are refused.
		"BURST_BUILD_ID": driver.BuildID(),
	}
	if o.SpillURL != "" {
		env[spill.EnvURL] = o.SpillURL
		if o.SpillThreshold > 0 {
			env[spill.EnvThreshold] = fmt.Sprint(o.SpillThreshold)
		}
	}
	maps.Copy(env, o.Env)
	h := sha256.New()
	h.Write(src)
	fmt.Fprintf(h, "\n%s %s %d %d %s", o.Runtime, o.Memory, o.Timeout, o.MaxInstances, o.ServiceAccount)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(h, "\n%s=%s", k, env[k])
	}
	hash := hex.EncodeToString(h.Sum(nil)[:16])

	c, err := functions.NewFunctionRESTClient(ctx, o.ClientOptions...)
	if err != nil {
		return nil, fmt.Errorf("gcpdeploy: %w", err)
	}
	defer c.Close()
	parent := fmt.Sprintf("projects/%s/locations/%s", o.Project, o.Region)
	name := parent + "/functions/" + o.Function

	cur, err := c.GetFunction(ctx, &functionspb.GetFunctionRequest{Name: name})
	exists := err == nil
	if err != nil && !notFound(err) {
		return nil, fmt.Errorf("gcpdeploy: get %s: %w", name, err)
	}
	if exists && cur.GetLabels()[HashLabel] == hash {
		return &Result{URL: cur.GetServiceConfig().GetUri()}, nil
	}

	up, err := c.GenerateUploadUrl(ctx, &functionspb.GenerateUploadUrlRequest{Parent: parent})
	if err != nil {
		return nil, fmt.Errorf("gcpdeploy: upload URL: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, up.GetUploadUrl(), bytes.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("gcpdeploy: %w", err)
	}
	req.Header.Set("Content-Type", "application/zip")
	res, err := o.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("gcpdeploy: upload source: %w", err)
	}
	body, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
	res.Body.Close()
	if res.StatusCode/100 != 2 {
		return nil, fmt.Errorf("gcpdeploy: upload source: %s: %.300s", res.Status, body)
	}

	fn := &functionspb.Function{
		Name:   name,
		Labels: map[string]string{HashLabel: hash, "burst": "worker"},
		BuildConfig: &functionspb.BuildConfig{
			Runtime:    o.Runtime,
			EntryPoint: gcpworker.EntryPoint,
			Source:     &functionspb.Source{Source: &functionspb.Source_StorageSource{StorageSource: up.GetStorageSource()}},
		},
		ServiceConfig: &functionspb.ServiceConfig{
			AvailableMemory:               o.Memory,
			TimeoutSeconds:                o.Timeout,
			MaxInstanceCount:              o.MaxInstances,
			MaxInstanceRequestConcurrency: 1,
			ServiceAccountEmail:           o.ServiceAccount,
			EnvironmentVariables:          env,
			IngressSettings:               functionspb.ServiceConfig_ALLOW_ALL,
		},
	}
	var done *functionspb.Function
	if exists {
		op, err := c.UpdateFunction(ctx, &functionspb.UpdateFunctionRequest{Function: fn,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"labels", "build_config", "service_config"}}})
		if err != nil {
			return nil, fmt.Errorf("gcpdeploy: update %s: %w", name, err)
		}
		if done, err = op.Wait(ctx); err != nil {
			return nil, fmt.Errorf("gcpdeploy: update %s: %w", name, err)
		}
	} else {
		op, err := c.CreateFunction(ctx, &functionspb.CreateFunctionRequest{Parent: parent, Function: fn, FunctionId: o.Function})
		if err != nil {
			return nil, fmt.Errorf("gcpdeploy: create %s: %w", name, err)
		}
		if done, err = op.Wait(ctx); err != nil {
			return nil, fmt.Errorf("gcpdeploy: create %s: %w", name, err)
		}
	}
	return &Result{Changed: true, URL: done.GetServiceConfig().GetUri()}, nil
}

func notFound(err error) bool {
	var ae *apierror.APIError
	return errors.As(err, &ae) && (ae.HTTPCode() == http.StatusNotFound || ae.GRPCStatus().Code() == codes.NotFound)
}
