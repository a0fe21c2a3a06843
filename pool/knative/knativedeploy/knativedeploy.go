// Package knativedeploy deploys a burst program as a Knative Service: it
// builds an OCI image from the program's static linux binary in Go (no
// Docker; see internal/ociimage), pushes it to the registry named in the
// options unless the registry already holds it, and creates or replaces the
// serving.knative.dev/v1 Service through the Kubernetes API to run the image
// by digest, one call per container at a time. The Service's
// burst.dev/deploy-hash annotation records the hash of the image and
// settings, so redeploying an unchanged binary neither uploads nor updates
// anything.
package knativedeploy

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

	"github.com/burst-dev/burst/internal/jsonapi"
	"github.com/burst-dev/burst/internal/ociimage"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/spill"
)

// HashAnnotation is the Service annotation holding the deploy hash.
const HashAnnotation = "burst.dev/deploy-hash"

// Options say what to deploy where.
type Options struct {
	// APIServer is the Kubernetes API server's URL; Token a bearer token
	// for it (a service account's); Namespace the Service's (default
	// "default"); Service its name.
	APIServer, Token, Namespace, Service string
	// Image is where the image is pushed: registry/repository[:tag].
	// Registry credentials come from the Docker config (see ociimage.Push).
	Image string
	// Binary is the static linux executable (CGO_ENABLED=0) and GOARCH its
	// architecture (default amd64); BuildID is its build id.
	Binary, GOARCH, BuildID string
	// Secret is the shared secret (BURST_SECRET of the container).
	Secret []byte
	// SpillURL and SpillThreshold configure the worker's payload store.
	SpillURL       string
	SpillThreshold int
	// Env adds environment variables.
	Env map[string]string
	// Memory and CPU are the container's limits (Kubernetes quantities,
	// e.g. "1Gi", "1"; empty: the cluster's defaults); Timeout is the
	// request timeout in seconds (default 600).
	Memory, CPU string
	Timeout     int
	// HTTP reaches the API server (default http.DefaultClient; give one
	// trusting the cluster's CA).
	HTTP *http.Client
	// Registry options for the push (tests pass a transport).
	Registry []remote.Option
}

// Result is what a deploy leaves behind.
type Result struct {
	Changed bool   // the Service was created or replaced
	Pushed  bool   // the image was uploaded (false: the registry had it)
	Image   string // the digest reference the Service runs
	URL     string // the Service's URL once Knative has set it
}

type service struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Metadata   map[string]any `json:"metadata"`
	Spec       map[string]any `json:"spec"`
	Status     struct {
		URL string `json:"url"`
	} `json:"status,omitzero"`
}

// Deploy pushes the image and creates or replaces the Service.
func Deploy(ctx context.Context, o Options) (*Result, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"APIServer", o.APIServer}, {"Service", o.Service}, {"Image", o.Image}, {"Binary", o.Binary}} {
		if f.v == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("knativedeploy: %s required", strings.Join(missing, ", "))
	}
	if len(o.Secret) == 0 {
		return nil, fmt.Errorf("knativedeploy: no Secret: the worker refuses every call without %s", httpfn.EnvSecret)
	}
	if u, err := url.Parse(o.APIServer); err != nil || u.User != nil {
		return nil, errors.New("knativedeploy: APIServer must be a URL without credentials (give Token)")
	}
	if o.Namespace == "" {
		o.Namespace = "default"
	}
	if o.Timeout == 0 {
		o.Timeout = 600
	}
	if o.HTTP == nil {
		o.HTTP = http.DefaultClient
	}
	img, err := ociimage.Build(ociimage.Options{Binary: o.Binary, GOARCH: o.GOARCH, BuildID: o.BuildID})
	if err != nil {
		return nil, fmt.Errorf("knativedeploy: %w", err)
	}
	ref, pushed, err := ociimage.Push(ctx, o.Image, img, o.Registry...)
	if err != nil {
		return nil, fmt.Errorf("knativedeploy: %w", err)
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
	fmt.Fprintf(h, "%s %s %s %d", ref, o.Memory, o.CPU, o.Timeout)
	var envList []map[string]string
	for _, k := range slices.Sorted(maps.Keys(env)) {
		fmt.Fprintf(h, "\n%s=%s", k, env[k])
		envList = append(envList, map[string]string{"name": k, "value": env[k]})
	}
	hash := hex.EncodeToString(h.Sum(nil)[:16])

	container := map[string]any{"image": ref, "env": envList}
	limits := map[string]string{}
	if o.Memory != "" {
		limits["memory"] = o.Memory
	}
	if o.CPU != "" {
		limits["cpu"] = o.CPU
	}
	if len(limits) > 0 {
		container["resources"] = map[string]any{"limits": limits}
	}
	want := service{
		APIVersion: "serving.knative.dev/v1", Kind: "Service",
		Metadata: map[string]any{"name": o.Service, "namespace": o.Namespace,
			"annotations": map[string]string{HashAnnotation: hash}, "labels": map[string]string{"app.kubernetes.io/managed-by": "burst"}},
		Spec: map[string]any{"template": map[string]any{"spec": map[string]any{
			"containerConcurrency": 1, "timeoutSeconds": o.Timeout, "containers": []any{container}}}},
	}

	c := &client{base: strings.TrimRight(o.APIServer, "/"), hc: o.HTTP, token: o.Token}
	coll := "/apis/serving.knative.dev/v1/namespaces/" + url.PathEscape(o.Namespace) + "/services"
	var cur service
	status, err := c.do(ctx, http.MethodGet, coll+"/"+url.PathEscape(o.Service), nil, &cur)
	switch {
	case err != nil && status != http.StatusNotFound:
		return nil, err
	case status == http.StatusNotFound:
		var made service
		if _, err := c.do(ctx, http.MethodPost, coll, want, &made); err != nil {
			return nil, err
		}
		res.Changed, res.URL = true, made.Status.URL
		return res, nil
	}
	res.URL = cur.Status.URL
	if ann, _ := cur.Metadata["annotations"].(map[string]any); ann[HashAnnotation] == hash {
		return res, nil
	}
	// A replace must carry the resourceVersion read, so a concurrent
	// change is refused (409) rather than overwritten.
	want.Metadata["resourceVersion"] = cur.Metadata["resourceVersion"]
	var upd service
	if _, err := c.do(ctx, http.MethodPut, coll+"/"+url.PathEscape(o.Service), want, &upd); err != nil {
		return nil, err
	}
	res.Changed = true
	if upd.Status.URL != "" {
		res.URL = upd.Status.URL
	}
	return res, nil
}

type client struct {
	base  string
	hc    *http.Client
	token string
}

func (c *client) do(ctx context.Context, method, path string, in, out any) (int, error) {
	return jsonapi.Do(ctx, c.hc, "knativedeploy", method, c.base, path, in, out, func(req *http.Request) error {
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		return nil
	})
}

// Deployer is a driver.Deployer for Knative: Options without the binary,
// which each Deploy takes from its artifact.
type Deployer struct{ o Options }

var _ driver.Deployer = (*Deployer)(nil)

// New returns a Deployer; o.Binary, o.BuildID and o.Env come from each
// artifact (o.Env is added to the artifact's).
func New(o Options) *Deployer { return &Deployer{o} }

// Target is linux on o.GOARCH (default amd64): the image's platform.
func (d *Deployer) Target() driver.Target {
	return driver.Target{GOARCH: cmp.Or(d.o.GOARCH, "amd64")}
}

// Deploy pushes the artifact's binary as an image and creates or replaces
// the Service; Deployed.Hash is the image's digest reference.
func (d *Deployer) Deploy(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
	o := d.o
	o.Binary, o.BuildID = a.Binary, a.BuildID
	o.Env = a.EnvWith(d.o.Env)
	if a.Log != nil {
		a.Log.Info("pushing the worker image to " + o.Image + " and applying Service " + o.Service)
	}
	r, err := Deploy(ctx, o)
	if err != nil {
		return nil, err
	}
	return &driver.Deployed{Function: o.Service, URL: r.URL, Hash: r.Image, Changed: r.Changed}, nil
}
