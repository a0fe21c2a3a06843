package azure

import (
	"net/url"
	"strings"

	"github.com/burst-dev/burst/pool/driver"
)

// Section is the azure section of burst.yaml (see docs/config.md).
type Section struct {
	// App is the function app's name (https://APP.azurewebsites.net).
	App string `yaml:"app"`
	// Endpoint replaces the app's base URL (another host name).
	Endpoint string `yaml:"endpoint"`
	// KeyEnv names the environment variable that holds the function key.
	KeyEnv string `yaml:"key_env"`
	// Subscription and ResourceGroup locate the app for burst deploy
	// (credentials from azidentity's default chain: az login, environment,
	// managed identity).
	Subscription  string `yaml:"subscription"`
	ResourceGroup string `yaml:"resource_group"`
	// ManagementEndpoint and SCMEndpoint override the Azure Resource
	// Manager and the app's Kudu site for burst deploy (sovereign clouds).
	ManagementEndpoint string `yaml:"management_endpoint"`
	SCMEndpoint        string `yaml:"scm_endpoint"`
}

func init() {
	driver.RegisterSection(Scheme, func() driver.Section { return new(Section) })
}

// Validate refuses credentials in the endpoints, which would be dropped.
func (s *Section) Validate(c driver.Compute) error {
	for _, e := range []struct{ key, url, instead string }{
		{"azure.endpoint", s.Endpoint, "the function key comes from the variable named by azure.key_env"},
		{"azure.management_endpoint", s.ManagementEndpoint, "credentials come from azidentity's default chain"},
		{"azure.scm_endpoint", s.SCMEndpoint, "credentials come from azidentity's default chain"},
	} {
		if err := driver.NoCredentials(e.key, e.url, e.instead); err != nil {
			return err
		}
	}
	if c.Backend == Scheme {
		return c.NeedFunction()
	}
	return nil
}

// PoolURL is azure://APP/FUNCTION, or azure://?url=ENDPOINT/api/FUNCTION.
func (s *Section) PoolURL(c driver.Compute) (string, error) {
	q := c.Query()
	var u url.URL
	switch {
	case s.Endpoint != "":
		u = url.URL{Scheme: Scheme}
		q.Set("url", strings.TrimSuffix(s.Endpoint, "/")+"/api/"+c.Function)
	case s.App != "":
		u = url.URL{Scheme: Scheme, Host: s.App, Path: "/" + c.Function}
	default:
		return "", driver.Keyf("azure", "give azure.app (the function app's name) or azure.endpoint")
	}
	if s.KeyEnv != "" {
		q.Set("key_env", s.KeyEnv)
	}
	driver.SetInt(q, "concurrency", c.Concurrency)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
