package aws

import (
	"net/url"

	"github.com/burst-dev/burst/pool/driver"
)

// Section is the aws section of burst.yaml (see docs/config.md): what the
// driver needs to call the function and burst deploy to create it.
type Section struct {
	Region string `yaml:"region"`
	// Credentials says where credentials come from: default (the SDK chain:
	// env, shared files, SSO, instance role), env (AWS_ACCESS_KEY_ID/…
	// only) or profile (the named Profile). Secrets never go in this file.
	Credentials string `yaml:"credentials"`
	Profile     string `yaml:"profile"`
	// Endpoint overrides the Lambda endpoint (an emulator, a VPC endpoint).
	Endpoint  string `yaml:"endpoint"`
	Qualifier string `yaml:"qualifier"`
	// BuildID is the build id burst deploy stamped on the function, sent in
	// every call instead of the driver's own (see docs/providers/aws.md).
	BuildID string `yaml:"build_id"`
	// Role is the execution role ARN the deploy command gives a new function.
	Role string `yaml:"role"`
	// Architecture of the function: x86_64 (default) or arm64.
	Architecture string `yaml:"architecture"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
}

// Validate checks the keys that take one of a few values.
func (s *Section) Validate(c driver.Compute) error {
	if err := driver.Accept("aws.credentials", s.Credentials, "default", "env", "profile"); err != nil {
		return err
	}
	if err := driver.Accept("aws.architecture", s.Architecture, "x86_64", "arm64"); err != nil {
		return err
	}
	if s.Credentials == "profile" && s.Profile == "" {
		return &driver.KeyError{Key: "aws.profile", Near: "aws.credentials", Reason: "required when aws.credentials is profile"}
	}
	if err := driver.NoCredentials("aws.endpoint", s.Endpoint, "credentials come from aws.credentials"); err != nil {
		return err
	}
	if c.Backend == Scheme {
		return c.NeedFunction()
	}
	return nil
}

// PoolURL is aws://FUNCTION with the section's parameters.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	driver.SetStrings(q, map[string]string{"region": s.Region, "endpoint": s.Endpoint, "qualifier": s.Qualifier, "build": s.BuildID})
	if s.Credentials == "profile" {
		q.Set("profile", s.Profile)
	}
	driver.SetInt(q, "concurrency", c.Concurrency)
	u := url.URL{Scheme: Scheme, Host: c.Function, RawQuery: q.Encode()}
	return u.String(), nil
}

// BillingVariant is arm64 for Graviton functions, billed by their own list.
func (s *Section) BillingVariant() string {
	if s.Architecture == "arm64" {
		return "arm64"
	}
	return ""
}
