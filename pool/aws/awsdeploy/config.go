package awsdeploy

import (
	"context"
	"errors"

	"github.com/burst-dev/burst/pool/aws"
	"github.com/burst-dev/burst/pool/driver"
)

// burst deploy deploys the aws section of burst.yaml with this package.
func init() {
	driver.RegisterDeployer(aws.Scheme, func(s driver.Section, c driver.Compute) (driver.Deployer, error) {
		a := s.(*aws.Section)
		o := Options{Function: c.Function, Role: a.Role, Region: a.Region, Endpoint: a.Endpoint,
			Architecture: a.Architecture, MemoryMB: c.Memory, Timeout: c.Timeout}
		if a.Credentials == "profile" {
			o.Profile = a.Profile
		}
		d := New(o)
		return driver.DeployFunc{T: d.Target(), F: func(ctx context.Context, art driver.Artifact) (*driver.Deployed, error) {
			r, err := d.Deploy(ctx, art)
			if errors.Is(err, ErrNoRole) {
				return nil, driver.NeedForDeploy("aws.role", aws.Scheme, "the execution role ARN a new function gets")
			}
			if errors.Is(err, ErrNoRegion) {
				return nil, driver.NeedForDeploy("aws.region", aws.Scheme, "the function's region (or BURST_AWS_REGION, AWS_REGION)")
			}
			if err == nil && a.BuildID != art.BuildID {
				r.Next = "set aws.build_id: " + art.BuildID + " so the driver sends the build the function runs"
			}
			return r, err
		}}, nil
	})
}
