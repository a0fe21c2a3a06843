package ibmdeploy

import (
	"cmp"
	"context"
	"fmt"
	"os"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/ibm"
)

// burst deploy deploys the ibm section of burst.yaml with this package.
func init() {
	driver.RegisterDeployer(ibm.Scheme, func(s driver.Section, c driver.Compute) (driver.Deployer, error) {
		i := s.(*ibm.Section)
		switch {
		case i.Project == "":
			return nil, driver.NeedForDeploy("ibm.project", ibm.Scheme, "the Code Engine project's ID")
		case i.Region == "" && i.APIEndpoint == "":
			return nil, driver.NeedForDeploy("ibm.region", ibm.Scheme, "the Code Engine project's region (us-south, eu-de, …)")
		case i.Image == "":
			return nil, driver.NeedForDeploy("ibm.image", ibm.Scheme, "where to push the worker image, e.g. icr.io/NAMESPACE/burst-worker")
		}
		return driver.DeployFunc{T: driver.Target{GOARCH: "amd64"}, F: func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			sec, err := httpfn.SecretFromEnv(ibm.Scheme)
			if err != nil {
				return nil, err
			}
			keyEnv := cmp.Or(i.APIKeyEnv, ibm.DefaultAPIKeyEnv)
			key := os.Getenv(keyEnv)
			if key == "" {
				return nil, fmt.Errorf("ibm.api_key_env: $%s is empty: the Code Engine API needs an IBM Cloud API key", keyEnv)
			}
			cpu := "1"
			if c.CPU > 0 {
				cpu = fmt.Sprint(c.CPU)
			}
			r, err := New(Options{Project: i.Project, Region: i.Region, App: c.Function,
				Image: i.Image, ImageSecret: i.ImageSecret, Secret: sec, SpillURL: a.Env["BURST_SPILL_URL"],
				Memory: fmt.Sprintf("%gG", float64(c.MemoryOr(4096))/1024), CPU: cpu,
				Timeout: c.TimeoutSeconds(600), APIKey: key, IAMEndpoint: i.IAMEndpoint, Endpoint: i.APIEndpoint}).Deploy(ctx, a)
			if err == nil && i.Endpoint == "" && r.URL != "" {
				r.Next = "set ibm.endpoint: " + r.URL
			}
			return r, err
		}}, nil
	})
}
