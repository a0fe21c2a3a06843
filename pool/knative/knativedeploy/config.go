package knativedeploy

import (
	"context"
	"fmt"
	"os"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/knative"
)

// burst deploy deploys the knative section of burst.yaml with this package.
func init() {
	driver.RegisterDeployer(knative.Scheme, func(s driver.Section, c driver.Compute) (driver.Deployer, error) {
		k := s.(*knative.Section)
		switch {
		case k.APIServer == "":
			return nil, driver.NeedForDeploy("knative.api_server", knative.Scheme, "the Kubernetes API server's URL")
		case k.Image == "":
			return nil, driver.NeedForDeploy("knative.image", knative.Scheme, "where to push the worker image, e.g. registry.example.com/burst-worker")
		}
		return driver.DeployFunc{T: driver.Target{GOARCH: "amd64"}, F: func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			sec, err := httpfn.SecretFromEnv(knative.Scheme)
			if err != nil {
				return nil, err
			}
			tok := ""
			if k.APITokenEnv != "" {
				if tok = os.Getenv(k.APITokenEnv); tok == "" {
					return nil, fmt.Errorf("knative.api_token_env: $%s is empty", k.APITokenEnv)
				}
			}
			o := Options{APIServer: k.APIServer, Token: tok, Namespace: k.Namespace, Service: c.Function,
				Image: k.Image, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"], Timeout: c.TimeoutSeconds(600)}
			if c.Memory > 0 {
				o.Memory = fmt.Sprintf("%dMi", c.Memory)
			}
			if c.CPU > 0 {
				o.CPU = fmt.Sprint(c.CPU)
			}
			r, err := New(o).Deploy(ctx, a)
			if err == nil && k.Endpoint == "" && r.URL != "" {
				r.Next = "set knative.endpoint: " + r.URL
			}
			return r, err
		}}, nil
	})
}
