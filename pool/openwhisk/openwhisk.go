// Package openwhisk is the pool backend for Apache OpenWhisk actions.
// Importing it registers the "openwhisk" scheme:
//
//	p, err := pool.Open(ctx, "openwhisk://openwhisk.example.com/guest/burst")
//
// The driver invokes the action through the OpenWhisk REST API,
// POST /api/v1/namespaces/NS/actions/ACTION?blocking=true&result=true with
// basic auth, passing the signed call envelope as the action's parameters.
// The worker is the same binary deployed as a native ("blackbox" Go) action:
// the Go action-loop proxy starts it, and pool.Main then speaks the action
// loop on stdin and fd 3 (see worker.go). Deploy with Deploy in this package.
package openwhisk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/httpfn"
)

// Scheme is the URL scheme this package registers with pool.Open.
const Scheme = "openwhisk"

// DefaultMaxMessage is OpenWhisk's default limit on an activation's
// parameters and result (1 MiB).
const DefaultMaxMessage = 1 << 20

// DefaultAuthEnv is where the "UUID:KEY" credentials are read from unless
// auth_env says.
const DefaultAuthEnv = "BURST_OPENWHISK_AUTH"

// Options configure an openwhisk Backend.
type Options struct {
	// APIHost is the OpenWhisk API base URL, e.g. https://openwhisk.example.com.
	APIHost string
	// Namespace of the action ("_" for the credentials' default).
	Namespace string
	// Action name, "ACTION" or "PACKAGE/ACTION".
	Action string
	// Auth is the API key, "UUID:KEY" as in ~/.wskprops AUTH.
	Auth string
	// Secret signs calls; the action's BURST_SECRET must be the same.
	Secret []byte
	// Concurrency is how many calls run at once by default (default 100).
	Concurrency int
	// MaxMessage bounds the parameters of one activation (default 1 MiB).
	MaxMessage int
	// PollInterval is how often the result of an activation that outlived
	// the blocking wait (60 s) is polled (default 1 s).
	PollInterval time.Duration
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
		return New(o)
	})
}

// OptionsFromURL reads openwhisk://APIHOST/NAMESPACE/ACTION (ACTION may be
// PACKAGE/ACTION). Parameters: auth_env (variable holding UUID:KEY, default
// BURST_OPENWHISK_AUTH), tls (default true), secret_env (default
// BURST_SECRET), concurrency, max_message.
func OptionsFromURL(u *url.URL) (Options, error) {
	if err := driver.UnknownParams(u, "auth_env", "tls", "secret_env", "concurrency", "max_message"); err != nil {
		return Options{}, err
	}
	q := u.Query()
	parts := strings.SplitN(strings.Trim(u.Path, "/"), "/", 2)
	if u.Host == "" || len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return Options{}, fmt.Errorf("openwhisk: URL %q: want openwhisk://APIHOST/NAMESPACE/ACTION (namespace _ for the default)", u.String())
	}
	apiHost, err := httpfn.BaseURL(Scheme, q, u.Host, "")
	if err != nil {
		return Options{}, err
	}
	o := Options{APIHost: apiHost, Namespace: parts[0], Action: parts[1], Secret: httpfn.SecretParam(q)}
	if o.Auth, err = httpfn.EnvParam(Scheme, q, "auth_env", DefaultAuthEnv, true); err != nil {
		return Options{}, err
	}
	if err := driver.IntParams(Scheme, q, map[string]*int{"concurrency": &o.Concurrency, "max_message": &o.MaxMessage}); err != nil {
		return Options{}, err
	}
	return o, nil
}

// params are the action parameters carrying one signed call. The envelope
// travels as a string so its bytes, which the signature covers, survive the
// controller's re-encoding of the parameters.
type params struct {
	Request   string `json:"burst_req"`
	Timestamp int64  `json:"burst_ts"`
	Nonce     string `json:"burst_nonce"`
	MAC       string `json:"burst_sig"`
}

// result is the action's result: the Response under "burst", because a
// top-level "error" (which a Response may have) would make OpenWhisk report
// an application error.
type result struct {
	Burst json.RawMessage `json:"burst"`
}

// Backend invokes an OpenWhisk action.
type Backend struct {
	*httpfn.Client
	o Options
}

// New returns a Backend invoking the action o names.
func New(o Options) (*Backend, error) {
	if _, err := url.ParseRequestURI(o.APIHost); err != nil || o.APIHost == "" {
		return nil, fmt.Errorf("openwhisk: API host %q: want https://host[:port]", o.APIHost)
	}
	if o.Namespace == "" {
		o.Namespace = "_"
	}
	if o.Action == "" {
		return nil, errors.New("openwhisk: no action name")
	}
	user, pass, ok := strings.Cut(o.Auth, ":")
	if !ok || user == "" || pass == "" {
		return nil, fmt.Errorf("openwhisk: credentials must be UUID:KEY (the AUTH of ~/.wskprops, in $%s)", DefaultAuthEnv)
	}
	if o.MaxMessage == 0 {
		o.MaxMessage = DefaultMaxMessage
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	c, err := httpfn.NewClient(httpfn.Client{Name: Scheme, Secret: o.Secret, HTTP: o.HTTP, Concurrency: o.Concurrency,
		URL: o.APIHost + "/api/v1/namespaces/" + url.PathEscape(o.Namespace) + "/actions/" + o.Action + "?blocking=true&result=true"},
		"https://host[:port]", "the action's BURST_SECRET")
	if err != nil {
		return nil, err
	}
	c.Authorize = func(ctx context.Context, r *http.Request) error {
		r.SetBasicAuth(user, pass)
		return nil
	}
	c.Wrap = func(env []byte, sig httpfn.Signature) (string, []byte, error) {
		b, err := json.Marshal(params{Request: string(env), Timestamp: sig.Timestamp, Nonce: sig.Nonce, MAC: sig.MAC})
		if err != nil {
			return "", nil, err
		}
		if len(b) > o.MaxMessage {
			return "", nil, fmt.Errorf("activation parameters of %d bytes exceed OpenWhisk's limit of %d bytes (open the pool with pool.WithSpill): %w",
				len(b), o.MaxMessage, driver.ErrTooLarge)
		}
		return "application/json", b, nil
	}
	c.Unwrap = unwrap
	return &Backend{Client: c, o: o}, nil
}

// stillRunning is a blocking invoke that outlived OpenWhisk's blocking wait:
// the activation goes on, and its result is fetched by id.
type stillRunning struct{ id string }

func (e *stillRunning) Error() string { return "activation " + e.id + " still running" }

func unwrap(status int, body []byte) ([]byte, error) {
	if status == http.StatusAccepted {
		var a struct {
			ActivationID string `json:"activationId"`
		}
		if json.Unmarshal(body, &a) == nil && a.ActivationID != "" {
			return nil, &stillRunning{a.ActivationID}
		}
	}
	var r result
	if err := json.Unmarshal(body, &r); err != nil || len(r.Burst) == 0 {
		return nil, fmt.Errorf("the action's result is not a burst result (is the action this program's worker?): %.200s", body)
	}
	return r.Burst, nil
}

// CancelsCalls reports false: closing the request of a blocking invocation
// does not stop the activation, and OpenWhisk's API has no call to cancel
// one, so a call cut short runs on (and is billed) until it ends or reaches
// the action's time limit; the pool marks it Abandoned.
func (b *Backend) CancelsCalls() bool { return false }

// Invoke runs req as one activation.
func (b *Backend) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	resp, err := b.Client.Invoke(ctx, req)
	var sr *stillRunning
	if !errors.As(err, &sr) {
		return resp, err
	}
	return b.poll(ctx, sr.id)
}

// poll waits for the result of a running activation.
func (b *Backend) poll(ctx context.Context, id string) (*driver.Response, error) {
	u := b.o.APIHost + "/api/v1/namespaces/" + url.PathEscape(b.o.Namespace) + "/activations/" + url.PathEscape(id) + "/result"
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("openwhisk: waiting for activation %s: %w", id, context.Cause(ctx))
		case <-time.After(b.o.PollInterval):
		}
		r, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		b.Client.Authorize(ctx, r)
		res, err := b.Client.HTTP.Do(r)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("openwhisk: waiting for activation %s: %w", id, context.Cause(ctx))
			}
			continue // transient: keep polling, the activation is unaffected
		}
		body, _ := io.ReadAll(io.LimitReader(res.Body, httpfn.DefaultMaxResponse))
		res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			continue // not finished yet
		}
		if res.StatusCode != http.StatusOK {
			return nil, httpfn.StatusError(Scheme, u, res, body)
		}
		var a struct {
			Result json.RawMessage `json:"result"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			return nil, fmt.Errorf("openwhisk: activation %s: undecodable result: %.200s", id, body)
		}
		var rj struct {
			Error    string `json:"error"`
			Rejected bool   `json:"rejected"`
		}
		if json.Unmarshal(a.Result, &rj) == nil && rj.Rejected {
			return nil, fmt.Errorf("openwhisk: the action refused the call: %s: %w", rj.Error, httpfn.ErrRejected)
		}
		inner, err := unwrap(http.StatusOK, a.Result)
		if err != nil {
			return nil, fmt.Errorf("openwhisk: activation %s: %w", id, err)
		}
		resp := new(driver.Response)
		if err := json.Unmarshal(inner, resp); err != nil {
			return nil, fmt.Errorf("openwhisk: activation %s: %w", id, err)
		}
		return resp, nil
	}
}
