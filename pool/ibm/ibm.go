// Package ibm is the pool backend for IBM Cloud Code Engine applications.
// (IBM Cloud Functions, IBM's OpenWhisk service, was retired in 2024; a
// self-hosted OpenWhisk is served by package openwhisk.) Importing it
// registers the "ibm" scheme:
//
//	p, err := pool.Open(ctx, "ibm://burst-worker.abcd1234.us-south.codeengine.appdomain.cloud")
//
// The driver POSTs each signed call envelope to the application over HTTPS,
// with an IAM access token exchanged from an API key (IBMCLOUD_API_KEY by
// default) as a bearer token. The worker is the same binary built into a
// container image: Code Engine sets CE_APP, and pool.Main then serves HTTP on
// $PORT. docs/providers/ibm.md shows the image build.
package ibm

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"golang.org/x/oauth2"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "ibm"

// DefaultIAMEndpoint is IBM Cloud's token exchange.
const DefaultIAMEndpoint = "https://iam.cloud.ibm.com/identity/token"

// DefaultAPIKeyEnv is where the API key is read from unless apikey_env says.
const DefaultAPIKeyEnv = "IBMCLOUD_API_KEY"

// Options configure an ibm Backend.
type Options struct {
	// URL of the Code Engine application (https://APP.ID.REGION.codeengine.appdomain.cloud).
	URL string
	// Secret signs calls; the application's BURST_SECRET must be the same.
	Secret []byte
	// APIKey is exchanged at IAMEndpoint for access tokens sent as
	// "Authorization: Bearer". Empty sends no token: the signature alone then
	// guards a public application.
	APIKey string
	// IAMEndpoint is the token exchange URL (default DefaultIAMEndpoint).
	IAMEndpoint string
	// TokenSource, when set, supplies the bearer tokens instead of APIKey.
	TokenSource oauth2.TokenSource
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
	driver.RegisterWorker("ibm", func() bool { return os.Getenv("CE_APP") != "" }, serve)
}

// OptionsFromURL reads ibm://HOST[/PATH] with parameters apikey_env
// (variable holding the API key, default IBMCLOUD_API_KEY; set it to "none"
// to send no token), iam_endpoint, secret_env (default BURST_SECRET), tls
// (default true), concurrency and max_message.
func OptionsFromURL(u *url.URL) (Options, error) {
	if err := driver.UnknownParams(u, "apikey_env", "iam_endpoint", "secret_env", "tls", "concurrency", "max_message"); err != nil {
		return Options{}, err
	}
	if u.Host == "" {
		return Options{}, fmt.Errorf("ibm: URL %q has no host: want ibm://APP.ID.REGION.codeengine.appdomain.cloud", u.String())
	}
	q := u.Query()
	base, err := httpfn.BaseURL(Scheme, q, u.Host, u.Path)
	if err != nil {
		return Options{}, err
	}
	o := Options{URL: base, Secret: httpfn.SecretParam(q), IAMEndpoint: q.Get("iam_endpoint")}
	if q.Get("apikey_env") != "none" {
		if o.APIKey, err = httpfn.EnvParam(Scheme, q, "apikey_env", DefaultAPIKeyEnv, q.Has("apikey_env")); err != nil {
			return Options{}, err
		}
	}
	if err := driver.IntParams(Scheme, q, map[string]*int{"concurrency": &o.Concurrency, "max_message": &o.MaxMessage}); err != nil {
		return Options{}, err
	}
	return o, nil
}

// New returns a Backend calling the application at o.URL.
func New(o Options) (driver.Backend, error) {
	c, err := httpfn.NewClient(httpfn.Client{Name: Scheme, URL: o.URL, Secret: o.Secret, HTTP: o.HTTP,
		Concurrency: o.Concurrency, MaxMessage: o.MaxMessage},
		"https://APP.ID.REGION.codeengine.appdomain.cloud", "the application's BURST_SECRET")
	if err != nil {
		return nil, err
	}
	ts := o.TokenSource
	if ts == nil && o.APIKey != "" {
		ts = NewIAMTokenSource(o.APIKey, o.IAMEndpoint, nil)
	}
	if ts != nil {
		c.Authorize = func(ctx context.Context, r *http.Request) error {
			tok, err := ts.Token()
			if err != nil {
				return err
			}
			tok.SetAuthHeader(r)
			return nil
		}
	}
	return c, nil
}

func serve(ctx context.Context) error {
	return httpfn.ServeEnv(ctx, "ibm", "PORT", "", 0, "CE_REVISION", "HOSTNAME")
}
