package process

import (
	"net/url"

	"github.com/burst-dev/burst/pool/driver"
)

// Section is the process section of burst.yaml; compute.workers is the
// number of worker processes.
type Section struct {
	// Liveness is Options.Liveness: a Go duration such as 5s, or off.
	Liveness string `yaml:"liveness"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
	driver.RegisterDeployer(Scheme, driver.NothingToDeploy)
}

// Validate checks liveness.
func (s *Section) Validate(driver.Compute) error {
	return ValidateLiveness("process.liveness", s.Liveness)
}

// ValidateLiveness checks the liveness key of a configuration section.
func ValidateLiveness(key, v string) error {
	if v == "" {
		return nil
	}
	if _, err := ParseLiveness(v); err != nil {
		return driver.Keyf(key, "want a Go duration > 0 such as 5s, or off, got %q", v)
	}
	return nil
}

// PoolURL is process://?workers=N.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	driver.SetInt(q, "workers", c.Workers)
	driver.SetStrings(q, map[string]string{"liveness": s.Liveness})
	u := url.URL{Scheme: Scheme, RawQuery: q.Encode()}
	return u.String(), nil
}
