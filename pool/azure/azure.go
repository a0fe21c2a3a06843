// Package azure is the pool backend for Azure Functions. Importing it
// registers the "azure" scheme:
//
//	p, err := pool.Open(ctx, "azure://my-function-app/burst")
//
// The driver POSTs each signed call envelope to the function's HTTP trigger,
// https://APP.azurewebsites.net/api/FUNCTION, with the function key in the
// x-functions-key header. The worker is the same binary as the function
// app's custom handler: the Functions host starts it with
// FUNCTIONS_CUSTOMHANDLER_PORT set, and pool.Main then serves on that port,
// answering both forms the host uses (see worker.go). Deploy with package
// azure/azuredeploy.
package azure

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "azure"

// DefaultMaxMessage is the Functions host's default limit on a request body
// (http.maxRequestLength, 100 MiB).
const DefaultMaxMessage = 100 << 20

// DefaultKeyEnv is where the function key is read from unless key_env says.
const DefaultKeyEnv = "AZURE_FUNCTIONS_KEY"

// Options configure an azure Backend.
type Options struct {
	// URL of the HTTP trigger, https://APP.azurewebsites.net/api/FUNCTION.
	URL string
	// Key is the function (or host) key, sent as x-functions-key. Empty
	// sends none, for an anonymous trigger (the signature still guards it).
	Key string
	// Secret signs calls; the app setting BURST_SECRET must be the same.
	Secret []byte
	// Concurrency is how many calls run at once by default (default 100).
	Concurrency int
	// MaxMessage bounds a call's body (default DefaultMaxMessage).
	MaxMessage int
	// HTTP sends the requests (default httpfn.DefaultHTTPClient).
	HTTP *http.Client
}

func init() {
	driver.RegisterCapabilities(Scheme, httpfn.Capabilities(DefaultMaxMessage, 32<<20))
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		o, err := OptionsFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(o)
	})
}

// TriggerURL is the URL of an HTTP-triggered function in an app.
func TriggerURL(app, function string) string {
	return fmt.Sprintf("https://%s.azurewebsites.net/api/%s", app, function)
}

// OptionsFromURL reads azure://APP/FUNCTION, or azure://?url=… for another
// host name. Parameters: url, key_env (variable holding the function key,
// default AZURE_FUNCTIONS_KEY), secret_env (default BURST_SECRET),
// concurrency, max_message.
func OptionsFromURL(u *url.URL) (Options, error) {
	if err := driver.UnknownParams(u, "url", "key_env", "secret_env", "concurrency", "max_message"); err != nil {
		return Options{}, err
	}
	q := u.Query()
	o := Options{URL: q.Get("url"), Secret: httpfn.SecretParam(q)}
	if o.URL == "" {
		fn := strings.Trim(u.Path, "/")
		if u.Host == "" || fn == "" || strings.Contains(fn, "/") {
			return Options{}, fmt.Errorf("azure: URL %q: want azure://APP/FUNCTION or azure://?url=https://…", u.String())
		}
		o.URL = TriggerURL(u.Host, fn)
	}
	var err error
	if o.Key, err = httpfn.EnvParam(Scheme, q, "key_env", DefaultKeyEnv, q.Has("key_env")); err != nil {
		return Options{}, err
	}
	if err := driver.IntParams(Scheme, q, map[string]*int{"concurrency": &o.Concurrency, "max_message": &o.MaxMessage}); err != nil {
		return Options{}, err
	}
	return o, nil
}

// New returns a Backend calling the HTTP trigger at o.URL.
func New(o Options) (driver.Backend, error) {
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	c, err := httpfn.NewClient(httpfn.Client{Name: Scheme, URL: o.URL, Secret: o.Secret, HTTP: o.HTTP,
		Concurrency: o.Concurrency, MaxMessage: o.MaxMessage},
		"https://APP.azurewebsites.net/api/FUNCTION", "the app setting BURST_SECRET")
	if err != nil {
		return nil, err
	}
	if o.Key != "" {
		c.Authorize = func(ctx context.Context, r *http.Request) error {
			r.Header.Set("x-functions-key", o.Key)
			return nil
		}
	}
	return c, nil
}
