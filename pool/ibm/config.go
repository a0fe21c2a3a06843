package ibm

import (
	"github.com/burst-dev/burst/pool/driver"
)

// Section is the ibm section of burst.yaml (see docs/config.md): an IBM
// Cloud Code Engine application.
type Section struct {
	// Endpoint is the application's URL, https://APP.ID.REGION.codeengine.appdomain.cloud.
	Endpoint string `yaml:"endpoint"`
	// APIKeyEnv names the environment variable holding the IBM Cloud API key.
	APIKeyEnv string `yaml:"api_key_env"`
	// Project (the Code Engine project's ID) and Region locate the
	// application for burst deploy.
	Project string `yaml:"project"`
	Region  string `yaml:"region"`
	// Image is where burst deploy pushes the worker image
	// (registry/namespace/repository[:tag], e.g. icr.io/me/burst-worker);
	// ImageSecret names the project's registry secret for a private image.
	Image       string `yaml:"image"`
	ImageSecret string `yaml:"image_secret"`
	// APIEndpoint overrides the Code Engine API
	// (https://api.REGION.codeengine.cloud.ibm.com/v2) for burst deploy,
	// and IAMEndpoint the API key's token exchange, for burst deploy and
	// the driver's calls.
	APIEndpoint string `yaml:"api_endpoint"`
	IAMEndpoint string `yaml:"iam_endpoint"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
}

// Validate refuses credentials in the endpoints, which would be dropped.
func (s *Section) Validate(c driver.Compute) error {
	const instead = "the API key comes from the variable named by ibm.api_key_env"
	if err := driver.NoCredentials("ibm.endpoint", s.Endpoint, instead); err != nil {
		return err
	}
	if err := driver.NoCredentials("ibm.api_endpoint", s.APIEndpoint, instead); err != nil {
		return err
	}
	if err := driver.NoCredentials("ibm.iam_endpoint", s.IAMEndpoint, instead); err != nil {
		return err
	}
	if c.Backend == Scheme {
		return c.NeedFunction()
	}
	return nil
}

// PoolURL is ibm://HOST/PATH of the application's endpoint.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	u, err := driver.EndpointURL(Scheme, "ibm.endpoint", s.Endpoint, q)
	if err != nil {
		return "", err
	}
	if s.APIKeyEnv != "" {
		q.Set("apikey_env", s.APIKeyEnv)
	}
	if s.IAMEndpoint != "" {
		q.Set("iam_endpoint", s.IAMEndpoint)
	}
	driver.SetInt(q, "concurrency", c.Concurrency)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
