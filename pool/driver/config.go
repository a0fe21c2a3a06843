package driver

import (
	"cmp"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/internal/registry"
)

// A Section is a backend's part of burst.yaml: the mapping under the
// backend's name (aws:, slurm:, …). Its dynamic type is a pointer to a
// struct whose yaml tags name the keys; the config reader decodes the file
// into it with the YAML library's strict decoding (an unknown key or a value
// of the wrong type is an error at its position), applies environment
// overrides, and then asks the section for its pool URL. Errors naming a
// key are *KeyError, which the reader turns into file:line:col messages.
//
// A Section may also implement Validator (checks across keys, run when the
// file is loaded) and BillingVariant (which of its provider's price lists
// applies).
type Section interface {
	// PoolURL is the pool URL of the backend for these compute settings.
	PoolURL(c Compute) (string, error)
}

// Validator is a Section with checks run when the config is loaded, before
// anything is opened.
type Validator interface {
	Validate(c Compute) error
}

// BillingVariant is a Section whose provider bills by more than one price
// list (aws arm64): Variant is appended to the provider's name in the cost
// tables ("aws/arm64"); empty for the default list.
type BillingVariant interface {
	BillingVariant() string
}

// Compute is burst.yaml's compute section as a backend sees it: the
// settings every backend shares.
type Compute struct {
	Backend     string        // the backend's name, as compute.backend gives it
	Function    string        // the deployed function's (service's, action's) name
	Memory      int           // MB; 0 for the provider's default
	CPU         float64       // vCPUs where billed apart; 0 for the provider's default
	Timeout     time.Duration // bound on each call; 0 for none
	Concurrency int           // calls at once; 0 for the backend's default
	Workers     int           // worker processes (process, slurm); 0 for the default
}

// MemoryOr is c.Memory, or def when it is not set.
func (c Compute) MemoryOr(def int) int { return cmp.Or(c.Memory, def) }

// TimeoutSeconds is c.Timeout in whole seconds rounded up, or def when it
// is not set.
func (c Compute) TimeoutSeconds(def int) int {
	if c.Timeout > 0 {
		return int((c.Timeout + time.Second - 1) / time.Second)
	}
	return def
}

// NeedFunction is the error of a backend that calls a deployed function
// when compute.function is not given.
func (c Compute) NeedFunction() error {
	if c.Function != "" {
		return nil
	}
	return &KeyError{Key: "compute.function", Near: "compute.backend",
		Reason: fmt.Sprintf("required for backend %s: the name of the deployed function (or service)", c.Backend)}
}

// KeyError is a bad or missing key of burst.yaml, named by its dotted path
// (aws.region, compute.function). The config reader adds the file and the
// key's position; a missing key is placed at Near when that key is given
// (the key that made it required), else at its nearest enclosing key.
type KeyError struct {
	Key    string
	Near   string
	Reason string
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Reason }

// Keyf returns a *KeyError for key.
func Keyf(key, format string, args ...any) error {
	return &KeyError{Key: key, Reason: fmt.Sprintf(format, args...)}
}

// NoCredentials refuses user:password@ in a URL-valued key whose backend
// would drop it without a word (it authenticates from a variable or the
// platform's credential chain, said by instead), so that a user who put a
// secret there learns it is not used, and the secret is not printed.
func NoCredentials(key, rawURL, instead string) error {
	if rawURL == "" {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return nil
	}
	return Keyf(key, "%s carries credentials (user:password@), which would be dropped: %s; remove them from the URL",
		redact.URL(rawURL), instead)
}

// HTTPEndpoint checks that a required endpoint key is an http:// or
// https:// URL and returns it parsed.
func HTTPEndpoint(key, backend, raw string) (*url.URL, error) {
	if raw == "" {
		return nil, Keyf(key, "required for backend %s: the service's URL", backend)
	}
	e, err := url.Parse(raw)
	if err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https") {
		return nil, Keyf(key, "want an http:// or https:// URL, got %q", raw)
	}
	return e, nil
}

// Accept returns an error unless v is empty or one of accepted.
func Accept(key, v string, accepted ...string) error {
	if v == "" {
		return nil
	}
	for _, a := range accepted {
		if v == a {
			return nil
		}
	}
	return Keyf(key, "%q is not accepted (accepted: %s)", v, strings.Join(accepted, ", "))
}

// AtLeast returns an error when n is below lo.
func AtLeast(key string, n, lo int) error {
	if n < lo {
		return Keyf(key, "want a whole number ≥ %d, got %d", lo, n)
	}
	return nil
}

var sections = registry.New[func() Section]("pool: config section")

// RegisterSection registers the burst.yaml section of the backend that
// compute.backend calls name (its pool URL scheme): newSection returns a
// pointer to a new zero section. Backend packages call it from init beside
// RegisterBackend.
func RegisterSection(name string, newSection func() Section) { sections.Register(name, newSection) }

// NewSection returns a new zero section of the backend name; ok is false
// when no backend of that name is linked into the program.
func NewSection(name string) (s Section, ok bool) {
	f, ok := sections.Lookup(name)
	if !ok {
		return nil, false
	}
	return f(), true
}

// SectionNames lists the backends with a registered section, sorted.
func SectionNames() []string { return sections.Names() }

// NewDeployerFunc makes the Deployer of a backend from its section of
// burst.yaml and the compute settings; it returns a nil Deployer when the
// backend runs the program's own binary (nothing to deploy).
type NewDeployerFunc func(s Section, c Compute) (Deployer, error)

var deployers = registry.New[NewDeployerFunc]("pool: deployer")

// RegisterDeployer registers how burst deploy deploys for the backend
// name. Deploy packages (pool/aws/awsdeploy, …) call it from init, so that
// only a program that imports them (the burst command) links their SDKs.
func RegisterDeployer(name string, f NewDeployerFunc) { deployers.Register(name, f) }

// LookupDeployer returns the deployer registered for the backend name.
func LookupDeployer(name string) (NewDeployerFunc, bool) { return deployers.Lookup(name) }

// DeployerNames lists the backends with a registered deployer, sorted.
func DeployerNames() []string { return deployers.Names() }

// Query starts the query of a pool URL built from a config with what every
// backend takes from the compute section: limit (compute.concurrency).
func (c Compute) Query() url.Values {
	q := url.Values{}
	SetInt(q, "limit", c.Concurrency)
	return q
}

// SetInt sets the parameter k to n when n > 0.
func SetInt(q url.Values, k string, n int) {
	if n > 0 {
		q.Set(k, strconv.Itoa(n))
	}
}

// SetStrings sets each parameter of kv whose value is not empty.
func SetStrings(q url.Values, kv map[string]string) {
	for k, v := range kv {
		if v != "" {
			q.Set(k, v)
		}
	}
}

// EndpointURL is a pool URL of scheme for an HTTP service at endpoint (the
// value of key, required): the endpoint's host and path, with tls=false
// for http://.
func EndpointURL(scheme, key, endpoint string, q url.Values) (*url.URL, error) {
	e, err := HTTPEndpoint(key, scheme, endpoint)
	if err != nil {
		return nil, err
	}
	if e.Scheme == "http" {
		q.Set("tls", "false")
	}
	return &url.URL{Scheme: scheme, Host: e.Host, Path: strings.TrimSuffix(e.Path, "/")}, nil
}
