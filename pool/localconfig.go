package pool

import "github.com/burst-dev/burst/pool/driver"

// localSection is the local section of burst.yaml, which has no keys:
// calls run as goroutines of this process.
type localSection struct{}

func init() {
	driver.RegisterSection("local", func() driver.Section { return new(localSection) })
	driver.RegisterDeployer("local", driver.NothingToDeploy)
}

// PoolURL is local: (with limit=, compute.concurrency, when set).
func (*localSection) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	if len(q) == 0 {
		return "local:", nil
	}
	return "local:?" + q.Encode(), nil
}
