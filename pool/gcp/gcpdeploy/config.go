package gcpdeploy

import (
	"context"
	"fmt"

	"google.golang.org/api/option"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/gcp"
	"github.com/burst-dev/burst/pool/httpfn"
)

// burst deploy deploys the gcp section of burst.yaml with this package.
func init() {
	driver.RegisterDeployer(gcp.Scheme, func(s driver.Section, c driver.Compute) (driver.Deployer, error) {
		g := s.(*gcp.Section)
		if g.Project == "" {
			return nil, driver.NeedForDeploy("gcp.project", gcp.Scheme, "the Google Cloud project")
		}
		if g.Region == "" {
			return nil, driver.NeedForDeploy("gcp.region", gcp.Scheme, "the function's region")
		}
		fn := c.Function
		return driver.DeployFunc{T: driver.Target{GOARCH: "amd64", Source: true}, F: func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
			sec, err := httpfn.SecretFromEnv(gcp.Scheme)
			if err != nil {
				return nil, err
			}
			o := Options{Project: g.Project, Region: g.Region, Function: fn, ModuleDir: a.ModuleDir, MainDir: a.MainDir,
				Secret: sec, Memory: fmt.Sprintf("%dMi", c.MemoryOr(512)), Timeout: int32(c.TimeoutSeconds(300)),
				SpillURL: a.Env["BURST_SPILL_URL"], Env: a.Env}
			if g.Credentials == "file" {
				o.ClientOptions = append(o.ClientOptions, option.WithAuthCredentialsFile(option.ServiceAccount, g.CredentialsFile))
			}
			a.Log.Info(fmt.Sprintf("uploading the source of %s to Cloud Run functions %s/%s/%s", a.MainDir, g.Project, g.Region, fn))
			r, err := Deploy(ctx, o)
			if err != nil {
				return nil, err
			}
			d := &driver.Deployed{Function: fn, URL: r.URL, Changed: r.Changed}
			def := "https://" + g.Region + "-" + g.Project + ".cloudfunctions.net/" + fn
			if g.Endpoint == "" && r.URL != "" && r.URL != def {
				d.Next = "set gcp.endpoint: " + r.URL
			}
			return d, nil
		}}, nil
	})
}
