// Package knative is the pool backend for functions served over plain HTTP:
// a Knative Service, or any endpoint running this binary's worker. Importing
// it registers the "knative" scheme:
//
//	p, err := pool.Open(ctx, "knative://burst-worker.default.example.com")
//
// The driver POSTs each signed call envelope to the service (optionally as a
// binary-mode CloudEvent, optionally with a bearer token); the worker is the
// same binary, whose pool.Main serves HTTP on $PORT when it finds K_SERVICE,
// the variable Knative sets in every revision's container.
package knative

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "knative"

// Options configure a knative Backend.
type Options struct {
	// URL of the service, http:// or https://.
	URL string
	// Secret signs calls; the worker's BURST_SECRET must be the same.
	Secret []byte
	// Token, when set, is sent as "Authorization: Bearer <Token>" (for a
	// service behind an authenticating gateway).
	Token string
	// CloudEvents sends each call as a binary-mode CloudEvent (ce-* headers,
	// type dev.burst.call), for brokers and triggers that route on them.
	CloudEvents bool
	// Concurrency is how many calls run at once by default (default 100).
	Concurrency int
	// MaxMessage bounds a call's body in bytes (0: no limit).
	MaxMessage int
	// HTTP sends the requests (default httpfn.DefaultHTTPClient).
	HTTP *http.Client
}

func init() {
	driver.RegisterCapabilities(Scheme, httpfn.Capabilities(httpfn.DefaultMaxRequest, 32<<20))
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		o, err := OptionsFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(o)
	})
	driver.RegisterWorker("knative", isWorker, serve)
}

// OptionsFromURL reads knative://HOST[:PORT][/PATH] with parameters
// tls (default true; false for plain http inside a cluster), token_env
// (variable holding a bearer token), secret_env (variable holding the shared
// secret, default BURST_SECRET), cloudevents, concurrency and max_message.
func OptionsFromURL(u *url.URL) (Options, error) {
	if err := driver.UnknownParams(u, "tls", "token_env", "secret_env", "cloudevents", "concurrency", "max_message"); err != nil {
		return Options{}, err
	}
	if u.Host == "" {
		return Options{}, fmt.Errorf("knative: URL %q has no host: want knative://HOST[:PORT][/PATH]", u.String())
	}
	q := u.Query()
	base, err := httpfn.BaseURL(Scheme, q, u.Host, u.Path)
	if err != nil {
		return Options{}, err
	}
	o := Options{URL: base, Secret: httpfn.SecretParam(q)}
	if o.Token, err = httpfn.EnvParam(Scheme, q, "token_env", "", true); err != nil {
		return Options{}, err
	}
	if o.CloudEvents, err = httpfn.BoolParam(Scheme, q, "cloudevents", false); err != nil {
		return Options{}, err
	}
	if err := driver.IntParams(Scheme, q, map[string]*int{"concurrency": &o.Concurrency, "max_message": &o.MaxMessage}); err != nil {
		return Options{}, err
	}
	return o, nil
}

// New returns a Backend that calls the service at o.URL.
func New(o Options) (driver.Backend, error) {
	c, err := httpfn.NewClient(httpfn.Client{Name: Scheme, URL: o.URL, Secret: o.Secret, HTTP: o.HTTP,
		Concurrency: o.Concurrency, MaxMessage: o.MaxMessage}, "http(s)://host[:port]/path", "the service's BURST_SECRET")
	if err != nil {
		return nil, err
	}
	if o.Token != "" || o.CloudEvents {
		c.Authorize = func(ctx context.Context, r *http.Request) error {
			if o.Token != "" {
				r.Header.Set("Authorization", "Bearer "+o.Token)
			}
			if o.CloudEvents {
				r.Header.Set("Ce-Specversion", "1.0")
				r.Header.Set("Ce-Type", "dev.burst.call")
				r.Header.Set("Ce-Source", "burst")
				r.Header.Set("Ce-Id", r.Header.Get(httpfn.HeaderNonce))
			}
			return nil
		}
	}
	return c, nil
}

// isWorker: Knative sets K_SERVICE in every revision. Cloud Run (and so GCP
// functions) and Code Engine set it too; their own packages serve those.
func isWorker() bool {
	return os.Getenv("K_SERVICE") != "" && os.Getenv("FUNCTION_TARGET") == "" && os.Getenv("CE_APP") == ""
}

func serve(ctx context.Context) error {
	return httpfn.ServeEnv(ctx, "knative", "PORT", "", 0, "K_REVISION")
}
