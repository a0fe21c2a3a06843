package openwhisk

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// burst deploy deploys the openwhisk section of burst.yaml with Deploy.
func init() {
	driver.RegisterDeployer(Scheme, func(s driver.Section, c driver.Compute) (driver.Deployer, error) {
		purl, err := s.PoolURL(c)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(purl)
		if err != nil {
			return nil, err
		}
		return driver.DeployFunc{T: driver.Target{GOARCH: "amd64"}, F: func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			o, err := OptionsFromURL(u)
			if err != nil {
				return nil, fmt.Errorf("openwhisk.auth_env: %w", err)
			}
			if len(o.Secret) == 0 {
				if o.Secret, err = httpfn.SecretFromEnv(Scheme); err != nil {
					return nil, err
				}
			}
			a.Log.Info(fmt.Sprintf("putting action %s/%s on %s", o.Namespace, o.Action, o.APIHost))
			changed, err := Deploy(ctx, DeployOptions{Options: o, Binary: a.Binary,
				Memory: c.MemoryOr(256), Timeout: time.Duration(c.TimeoutSeconds(60)) * time.Second,
				SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env})
			if err != nil {
				return nil, err
			}
			return &driver.Deployed{Function: c.Function, URL: o.APIHost, Changed: changed}, nil
		}}, nil
	})
}
