package gcp

import (
	"net/url"

	"github.com/burst-dev/burst/pool/driver"
)

// Section is the gcp section of burst.yaml (see docs/config.md).
type Section struct {
	Project string `yaml:"project"`
	Region  string `yaml:"region"`
	// Credentials: default (Application Default Credentials) or file
	// (CredentialsFile, a service-account key path — the path, not the key).
	Credentials     string `yaml:"credentials"`
	CredentialsFile string `yaml:"credentials_file"`
	// Endpoint is the function's URL when it is not
	// https://REGION-PROJECT.cloudfunctions.net/FUNCTION (a run.app URL).
	Endpoint string `yaml:"endpoint"`
	// TokenEnv names a variable holding an ID token to send instead of
	// one from Credentials (e.g. from gcloud auth print-identity-token).
	TokenEnv string `yaml:"token_env"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
}

// Validate checks the section's keys against each other.
func (s *Section) Validate(c driver.Compute) error {
	if err := driver.Accept("gcp.credentials", s.Credentials, "default", "file"); err != nil {
		return err
	}
	if s.Credentials == "file" && s.CredentialsFile == "" {
		return &driver.KeyError{Key: "gcp.credentials_file", Near: "gcp.credentials", Reason: "required when gcp.credentials is file"}
	}
	if err := driver.NoCredentials("gcp.endpoint", s.Endpoint, "credentials come from gcp.credentials"); err != nil {
		return err
	}
	if c.Backend == Scheme {
		return c.NeedFunction()
	}
	return nil
}

// PoolURL is gcp://PROJECT/REGION/FUNCTION, or gcp://?url=ENDPOINT.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	var u url.URL
	if s.Endpoint != "" {
		u = url.URL{Scheme: Scheme}
		q.Set("url", s.Endpoint)
	} else {
		if s.Project == "" || s.Region == "" {
			return "", driver.Keyf("gcp", "give gcp.project and gcp.region (or gcp.endpoint, the function's URL)")
		}
		u = url.URL{Scheme: Scheme, Host: s.Project, Path: "/" + s.Region + "/" + c.Function}
	}
	if s.Credentials == "file" {
		q.Set("credentials_file", s.CredentialsFile)
	}
	if s.TokenEnv != "" {
		q.Set("token_env", s.TokenEnv)
	}
	driver.SetInt(q, "concurrency", c.Concurrency)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
