package openwhisk

import (
	"cmp"

	"github.com/burst-dev/burst/pool/driver"
)

// Section is the openwhisk section of burst.yaml (see docs/config.md).
type Section struct {
	Endpoint  string `yaml:"endpoint"`
	Namespace string `yaml:"namespace"`
	// AuthEnv names the environment variable holding "uuid:key".
	AuthEnv string `yaml:"auth_env"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
}

// Validate refuses credentials in the endpoint, which would be dropped.
func (s *Section) Validate(c driver.Compute) error {
	if err := driver.NoCredentials("openwhisk.endpoint", s.Endpoint, "the uuid:key comes from the variable named by openwhisk.auth_env"); err != nil {
		return err
	}
	if c.Backend == Scheme {
		return c.NeedFunction()
	}
	return nil
}

// PoolURL is openwhisk://HOST/PATH/NAMESPACE/ACTION (namespace _ by
// default).
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	u, err := driver.EndpointURL(Scheme, "openwhisk.endpoint", s.Endpoint, q)
	if err != nil {
		return "", err
	}
	u.Path += "/" + cmp.Or(s.Namespace, "_") + "/" + c.Function
	if s.AuthEnv != "" {
		q.Set("auth_env", s.AuthEnv)
	}
	driver.SetInt(q, "concurrency", c.Concurrency)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
