package process

import (
	"net/url"

	"github.com/burst-dev/burst/pool/driver"
)

// Section is the process section of burst.yaml: it has no keys of its own;
// compute.workers is the number of worker processes.
type Section struct{}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
	driver.RegisterDeployer(Scheme, driver.NothingToDeploy)
}

// PoolURL is process://?workers=N.
func (*Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	driver.SetInt(q, "workers", c.Workers)
	u := url.URL{Scheme: Scheme, RawQuery: q.Encode()}
	return u.String(), nil
}
