// Package gcp is the pool backend for Google Cloud Run functions (gen2).
// Importing it registers the "gcp" scheme:
//
//	p, err := pool.Open(ctx, "gcp://my-project/europe-west1/burst-worker")
//
// The driver POSTs each signed call envelope to the function's URL over
// HTTPS with a Google ID token for that URL, from the service account key
// named by the config or from application default credentials. The worker is
// package gcpworker, which this package imports, so a program that can drive
// GCP can also serve as the function. Deploy with package gcp/gcpdeploy.
package gcp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/idtoken"
	"google.golang.org/api/option"

	"github.com/burst-dev/burst/pool/driver"
	_ "github.com/burst-dev/burst/pool/gcp/gcpworker" // the same binary serves as the function
	"github.com/burst-dev/burst/pool/httpfn"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "gcp"

// DefaultMaxMessage is Cloud Run functions' limit on an HTTP request body.
const DefaultMaxMessage = 32 << 20

// Options configure a gcp Backend.
type Options struct {
	// URL is the function's HTTPS URL.
	URL string
	// Audience of the ID token (default URL without path).
	Audience string
	// Secret signs calls; the function's BURST_SECRET must be the same.
	Secret []byte
	// TokenSource supplies ID tokens; nil makes one for Audience from
	// CredentialsFile or application default credentials (a service
	// account: user credentials cannot mint ID tokens; for those set
	// IDToken, e.g. from `gcloud auth print-identity-token`).
	TokenSource oauth2.TokenSource
	// CredentialsFile is a service account key file.
	CredentialsFile string
	// IDToken is a fixed ID token (it expires after an hour).
	IDToken string
	// Unauthenticated sends no token, for a function that allows
	// unauthenticated invocations (the signature still guards it).
	Unauthenticated bool
	// Concurrency is how many calls run at once by default (default 100).
	Concurrency int
	// MaxMessage bounds a call's body (default DefaultMaxMessage).
	MaxMessage int
	// HTTP sends the requests (default httpfn.DefaultHTTPClient).
	HTTP *http.Client
}

func init() {
	driver.RegisterCapabilities(Scheme, httpfn.Capabilities(DefaultMaxMessage, DefaultMaxMessage))
	driver.RegisterBackend(Scheme, func(ctx context.Context, u *url.URL) (driver.Backend, error) {
		o, err := OptionsFromURL(u)
		if err != nil {
			return nil, err
		}
		return New(ctx, o)
	})
}

// FunctionURL is the URL Cloud Functions gives a function.
func FunctionURL(project, region, name string) string {
	return fmt.Sprintf("https://%s-%s.cloudfunctions.net/%s", region, project, name)
}

// OptionsFromURL reads gcp://PROJECT/REGION/FUNCTION, whose URL is
// https://REGION-PROJECT.cloudfunctions.net/FUNCTION, or gcp://?url=… for a
// function's run.app URL. Parameters: url, audience, credentials_file,
// token_env (variable holding an ID token), unauthenticated, secret_env
// (default BURST_SECRET), concurrency, max_message.
func OptionsFromURL(u *url.URL) (Options, error) {
	if err := driver.UnknownParams(u, "url", "audience", "credentials_file", "token_env", "unauthenticated",
		"secret_env", "concurrency", "max_message"); err != nil {
		return Options{}, err
	}
	q := u.Query()
	o := Options{URL: q.Get("url"), Audience: q.Get("audience"), CredentialsFile: q.Get("credentials_file"),
		Secret: httpfn.SecretParam(q)}
	if o.URL == "" {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if u.Host == "" || len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			return Options{}, fmt.Errorf("gcp: URL %q: want gcp://PROJECT/REGION/FUNCTION or gcp://?url=https://…", u.String())
		}
		o.URL = FunctionURL(u.Host, parts[0], parts[1])
	}
	var err error
	if o.IDToken, err = httpfn.EnvParam(Scheme, q, "token_env", "", true); err != nil {
		return Options{}, err
	}
	if o.Unauthenticated, err = httpfn.BoolParam(Scheme, q, "unauthenticated", false); err != nil {
		return Options{}, err
	}
	if err := driver.IntParams(Scheme, q, map[string]*int{"concurrency": &o.Concurrency, "max_message": &o.MaxMessage}); err != nil {
		return Options{}, err
	}
	return o, nil
}

// New returns a Backend calling the function at o.URL.
func New(ctx context.Context, o Options) (driver.Backend, error) {
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	c, err := httpfn.NewClient(httpfn.Client{Name: Scheme, URL: o.URL, Secret: o.Secret, HTTP: o.HTTP,
		Concurrency: o.Concurrency, MaxMessage: o.MaxMessage},
		"https://REGION-PROJECT.cloudfunctions.net/NAME or the run.app URL", "the function's BURST_SECRET")
	if err != nil {
		return nil, err
	}
	u, _ := url.Parse(o.URL) // NewClient checked it
	ts := o.TokenSource
	switch {
	case ts != nil || o.Unauthenticated:
	case o.IDToken != "":
		ts = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: o.IDToken, TokenType: "Bearer"})
	default:
		aud := o.Audience
		if aud == "" {
			aud = (&url.URL{Scheme: u.Scheme, Host: u.Host}).String()
		}
		var opts []idtoken.ClientOption
		if o.CredentialsFile != "" {
			opts = append(opts, option.WithCredentialsFile(o.CredentialsFile))
		}
		if ts, err = idtoken.NewTokenSource(ctx, aud, opts...); err != nil {
			return nil, fmt.Errorf("gcp: ID token source for %s (use a service account via credentials_file or GOOGLE_APPLICATION_CREDENTIALS, or token_env): %w", aud, err)
		}
	}
	if ts != nil {
		c.Authorize = func(ctx context.Context, r *http.Request) error {
			tok, err := ts.Token()
			if err != nil {
				return err
			}
			r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
			return nil
		}
	}
	return c, nil
}
