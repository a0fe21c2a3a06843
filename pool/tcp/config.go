package tcp

import (
	"net/url"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/process"
)

// Section is the tcp section of burst.yaml: the driver listens on Listen
// (host:port; default a free port on loopback) and workers started
// elsewhere dial it; compute.workers is how many the pool waits for.
type Section struct {
	Listen string `yaml:"listen"`
	// PerWorker is how many calls a worker runs at once (default 1).
	PerWorker int `yaml:"per_worker"`
	// Liveness is Options.Liveness: a Go duration such as 5s, or off.
	Liveness string `yaml:"liveness"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
	driver.RegisterDeployer(Scheme, driver.NothingToDeploy)
}

// Validate checks per_worker.
func (s *Section) Validate(driver.Compute) error {
	if err := driver.AtLeast("tcp.per_worker", s.PerWorker, 0); err != nil {
		return err
	}
	return process.ValidateLiveness("tcp.liveness", s.Liveness)
}

// PoolURL is tcp://LISTEN?workers=N.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	driver.SetInt(q, "workers", c.Workers)
	driver.SetInt(q, "per_worker", s.PerWorker)
	driver.SetStrings(q, map[string]string{"liveness": s.Liveness})
	u := url.URL{Scheme: Scheme, Host: s.Listen, RawQuery: q.Encode()}
	return u.String(), nil
}
