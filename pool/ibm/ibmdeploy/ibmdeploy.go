// Package ibmdeploy deploys a burst program as an IBM Cloud Code Engine
// application: it builds an OCI image from the program's static linux
// binary in Go (no Docker; see internal/ociimage), pushes it to the
// registry named in the options unless the registry already holds it, and
// creates or updates the application through the Code Engine v2 API to run
// the image by digest. The application's BURST_DEPLOY_HASH variable records
// the hash of the image and settings, so redeploying an unchanged binary
// neither uploads nor updates anything.
package ibmdeploy

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"golang.org/x/oauth2"

	"github.com/burst-dev/burst/internal/jsonapi"
	"github.com/burst-dev/burst/internal/ociimage"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/ibm"
	"github.com/burst-dev/burst/pool/spill"
)

// HashEnv is the application variable holding the deploy hash.
const HashEnv = "BURST_DEPLOY_HASH"

// Options say what to deploy where.
type Options struct {
	// Project is the Code Engine project's ID; Region its region
	// (us-south, eu-de, …); App the application's name.
	Project, Region, App string
	// Image is where the image is pushed: registry/namespace/repository[:tag],
	// e.g. icr.io/me/burst-worker. Registry credentials come from the Docker
	// config, as for docker push (see ociimage.Push).
	Image string
	// ImageSecret names the project's registry secret that lets Code Engine
	// pull a private image (empty: the image is public).
	ImageSecret string
	// Binary is the static linux executable (CGO_ENABLED=0) and GOARCH its
	// architecture (default amd64); BuildID is its build id.
	Binary, GOARCH, BuildID string
	// Secret is the shared secret (BURST_SECRET of the application).
	Secret []byte
	// SpillURL and SpillThreshold configure the worker's payload store.
	SpillURL       string
	SpillThreshold int
	// Env adds environment variables.
	Env map[string]string
	// Memory (default "4G"), CPU (default "1"), Timeout per request in
	// seconds (default 600), MaxInstances (default 100). Each instance
	// takes one call at a time, as CPU-bound work wants.
	Memory, CPU  string
	Timeout      int
	MaxInstances int
	// APIKey is exchanged for IAM tokens at IAMEndpoint (default
	// ibm.DefaultIAMEndpoint); TokenSource replaces both.
	APIKey, IAMEndpoint string
	TokenSource         oauth2.TokenSource
	// Endpoint is the Code Engine API (default
	// https://api.REGION.codeengine.cloud.ibm.com/v2).
	Endpoint string
	// HTTP reaches the API (default http.DefaultClient).
	HTTP *http.Client
	// Registry options for the push (tests pass a transport).
	Registry []remote.Option
}

// Result is what a deploy leaves behind.
type Result struct {
	Changed bool   // the application was created or updated
	Pushed  bool   // the image was uploaded (false: the registry had it)
	Image   string // the digest reference the application runs
	URL     string // the application's endpoint, for ibm://
}

// app is the part of a Code Engine application this package reads and
// writes.
type app struct {
	Name                string   `json:"name,omitempty"`
	ImageReference      string   `json:"image_reference,omitempty"`
	ImageSecret         string   `json:"image_secret,omitempty"`
	ImagePort           int      `json:"image_port,omitempty"`
	RunEnvVariables     []envVar `json:"run_env_variables,omitempty"`
	ScaleCPULimit       string   `json:"scale_cpu_limit,omitempty"`
	ScaleMemoryLimit    string   `json:"scale_memory_limit,omitempty"`
	ScaleMaxInstances   int      `json:"scale_max_instances,omitempty"`
	ScaleConcurrency    int      `json:"scale_concurrency,omitempty"`
	ScaleRequestTimeout int      `json:"scale_request_timeout,omitempty"`
	Endpoint            string   `json:"endpoint,omitempty"`
	EntityTag           string   `json:"entity_tag,omitempty"`
}

type envVar struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Deploy pushes the image and creates or updates the application.
func Deploy(ctx context.Context, o Options) (*Result, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"Project", o.Project}, {"App", o.App}, {"Image", o.Image}, {"Binary", o.Binary}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if o.Region == "" && o.Endpoint == "" {
		missing = append(missing, "Region (or Endpoint)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("ibmdeploy: %s required", strings.Join(missing, ", "))
	}
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("ibmdeploy: no Secret: the worker refuses every call without %s", httpfn.EnvSecret)
	}
	if o.TokenSource == nil && o.APIKey == "" {
		return nil, errors.New("ibmdeploy: no APIKey or TokenSource for the Code Engine API")
	}
	if o.Memory == "" {
		o.Memory = "4G"
	}
	if o.CPU == "" {
		o.CPU = "1"
	}
	if o.Timeout == 0 {
		o.Timeout = 600
	}
	if o.MaxInstances == 0 {
		o.MaxInstances = 100
	}
	if o.Endpoint == "" {
		o.Endpoint = "https://api." + o.Region + ".codeengine.cloud.ibm.com/v2"
	}
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	ts := o.TokenSource
	if ts == nil {
		ts = ibm.NewIAMTokenSource(o.APIKey, o.IAMEndpoint, o.HTTP)
	}

	img, err := ociimage.Build(ociimage.Options{Binary: o.Binary, GOARCH: o.GOARCH, BuildID: o.BuildID})
	if err != nil {
		return nil, fmt.Errorf("ibmdeploy: %w", err)
	}
	ref, pushed, err := ociimage.Push(ctx, o.Image, img, o.Registry...)
	if err != nil {
		return nil, fmt.Errorf("ibmdeploy: %w", err)
	}
	res := &Result{Pushed: pushed, Image: ref}

	env := map[string]string{httpfn.EnvSecret: string(o.Secret)}
	if o.BuildID != "" {
		env["BURST_BUILD_ID"] = o.BuildID
	}
	if o.SpillURL != "" {
		env[spill.EnvURL] = o.SpillURL
		if o.SpillThreshold > 0 {
			env[spill.EnvThreshold] = fmt.Sprint(o.SpillThreshold)
		}
	}
	maps.Copy(env, o.Env)
	h := sha256.New()
	fmt.Fprintf(h, "%s %s %s %s %d %d", ref, o.ImageSecret, o.Memory, o.CPU, o.Timeout, o.MaxInstances)
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(h, "\n%s=%s", k, env[k])
	}
	hash := hex.EncodeToString(h.Sum(nil)[:16])
	env[HashEnv] = hash

	want := app{
		ImageReference: ref, ImageSecret: o.ImageSecret, ImagePort: 8080,
		ScaleCPULimit: o.CPU, ScaleMemoryLimit: o.Memory, ScaleMaxInstances: o.MaxInstances,
		ScaleConcurrency: 1, ScaleRequestTimeout: o.Timeout,
	}
	for _, k := range slices.Sorted(maps.Keys(env)) {
		want.RunEnvVariables = append(want.RunEnvVariables, envVar{Type: "literal", Name: k, Value: env[k]})
	}

	c := &client{base: strings.TrimRight(o.Endpoint, "/"), hc: o.HTTP, ts: ts}
	apps := "/projects/" + url.PathEscape(o.Project) + "/apps"
	var cur app
	status, err := c.do(ctx, http.MethodGet, apps+"/"+url.PathEscape(o.App), "", nil, &cur)
	switch {
	case err != nil && status != http.StatusNotFound:
		return nil, err
	case status == http.StatusNotFound:
		want.Name = o.App
		var made app
		if _, err := c.do(ctx, http.MethodPost, apps, "", want, &made); err != nil {
			return nil, err
		}
		res.Changed, res.URL = true, made.Endpoint
		return res, nil
	}
	res.URL = cur.Endpoint
	for _, v := range cur.RunEnvVariables {
		if v.Name == HashEnv && v.Value == hash {
			return res, nil
		}
	}
	var upd app
	if _, err := c.do(ctx, http.MethodPatch, apps+"/"+url.PathEscape(o.App), cur.EntityTag, want, &upd); err != nil {
		return nil, err
	}
	res.Changed = true
	if upd.Endpoint != "" {
		res.URL = upd.Endpoint
	}
	return res, nil
}

type client struct {
	base string
	hc   *http.Client
	ts   oauth2.TokenSource
}

// do sends one API request; it returns the status with any error, so a
// caller can tell "not found" from a failure.
func (c *client) do(ctx context.Context, method, path, ifMatch string, in, out any) (int, error) {
	return jsonapi.Do(ctx, c.hc, "ibmdeploy", method, c.base, path, in, out, func(req *http.Request) error {
		tok, err := c.ts.Token()
		if err != nil {
			return fmt.Errorf("IAM token: %w", err)
		}
		tok.SetAuthHeader(req)
		if in != nil && method == http.MethodPatch {
			req.Header.Set("Content-Type", "application/merge-patch+json")
		}
		if ifMatch != "" {
			req.Header.Set("If-Match", ifMatch)
		}
		return nil
	})
}

// Deployer is a driver.Deployer for Code Engine: Options without the
// binary, which each Deploy takes from its artifact.
type Deployer struct{ o Options }

var _ driver.Deployer = (*Deployer)(nil)

// New returns a Deployer; o.Binary, o.BuildID and o.Env come from each
// artifact (o.Env is added to the artifact's).
func New(o Options) *Deployer { return &Deployer{o} }

// Target is linux on o.GOARCH (default amd64): the image's platform.
func (d *Deployer) Target() driver.Target {
	return driver.Target{GOARCH: cmp.Or(d.o.GOARCH, "amd64")}
}

// Deploy pushes the artifact's binary as an image and creates or updates
// the application; Deployed.Hash is the image's digest reference.
func (d *Deployer) Deploy(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
	o := d.o
	o.Binary, o.BuildID = a.Binary, a.BuildID
	o.Env = a.EnvWith(d.o.Env)
	if a.Log != nil {
		a.Log.Info("pushing the worker image to " + o.Image + " and updating application " + o.App)
	}
	r, err := Deploy(ctx, o)
	if err != nil {
		return nil, err
	}
	return &driver.Deployed{Function: o.App, URL: r.URL, Hash: r.Image, Changed: r.Changed}, nil
}
