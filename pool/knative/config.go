package knative

import (
	"github.com/burst-dev/burst/pool/driver"
)

// Section is the knative section of burst.yaml (see docs/config.md): a
// Knative Service over HTTP.
type Section struct {
	Endpoint string `yaml:"endpoint"`
	// TokenEnv names the environment variable holding a bearer token.
	TokenEnv string `yaml:"token_env"`
	// Image is where burst deploy pushes the worker image
	// (registry/repository[:tag]).
	Image string `yaml:"image"`
	// APIServer is the Kubernetes API server burst deploy creates the
	// Service through, Namespace the Service's (default "default") and
	// APITokenEnv the variable holding a bearer token for the API server.
	APIServer   string `yaml:"api_server"`
	Namespace   string `yaml:"namespace"`
	APITokenEnv string `yaml:"api_token_env"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
}

// Validate refuses credentials in the endpoints, which would be dropped.
func (s *Section) Validate(c driver.Compute) error {
	if err := driver.NoCredentials("knative.endpoint", s.Endpoint, "a bearer token comes from the variable named by knative.token_env"); err != nil {
		return err
	}
	if err := driver.NoCredentials("knative.api_server", s.APIServer, "a bearer token comes from the variable named by knative.api_token_env"); err != nil {
		return err
	}
	if c.Backend == Scheme {
		return c.NeedFunction()
	}
	return nil
}

// PoolURL is knative://HOST/PATH of the service's endpoint.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	u, err := driver.EndpointURL(Scheme, "knative.endpoint", s.Endpoint, q)
	if err != nil {
		return "", err
	}
	if s.TokenEnv != "" {
		q.Set("token_env", s.TokenEnv)
	}
	driver.SetInt(q, "concurrency", c.Concurrency)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
