package httpfn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/burst-dev/burst/pool/driver"
)

// DefaultMaxResponse bounds how much of a response body the driver reads.
const DefaultMaxResponse = 256 << 20

// Client is the driver side: it signs a call envelope, POSTs it to a function
// and maps the platform's answer onto the pool's error kinds. It is a
// driver.Backend; each cloud's package fills in URL, authorisation and limits.
type Client struct {
	// Name prefixes error messages, e.g. "gcp".
	Name string
	// URL is where calls are POSTed.
	URL string
	// Secret is the shared secret calls are signed with (required).
	Secret []byte
	// HTTP sends the requests (default: a client with one idle connection per
	// concurrent call, so calls reuse connections).
	HTTP *http.Client
	// Authorize adds the platform's credentials (ID token, function key,
	// bearer token, basic auth) to a request; nil adds none.
	Authorize func(ctx context.Context, r *http.Request) error
	// MaxMessage is the platform's limit on a call's body in bytes; larger
	// calls fail with driver.ErrTooLarge before they are sent (use
	// pool.WithSpill). 0 means no limit.
	MaxMessage int
	// Concurrency is the backend's Limit: how many calls run at once by default.
	Concurrency int
	// Wrap, when set, makes the HTTP body from the signed envelope, for
	// platforms that pass the body's fields to the function rather than the
	// request itself (OpenWhisk). By default the envelope is the body and the
	// signature travels in headers.
	Wrap func(envelope []byte, sig Signature) (contentType string, body []byte, err error)
	// Unwrap, when set, extracts the result envelope from a 2xx body.
	Unwrap func(status int, body []byte) ([]byte, error)
	// Now is the clock used for signing (default time.Now).
	Now func() time.Time
}

// Limit is Concurrency (default 100).
func (c *Client) Limit() int {
	if c.Concurrency > 0 {
		return c.Concurrency
	}
	return 100
}

// Close releases idle connections.
func (c *Client) Close() error {
	if c.HTTP != nil {
		c.HTTP.CloseIdleConnections()
	}
	return nil
}

// DefaultHTTPClient is a client that keeps up to n idle connections to the
// function, so that n concurrent calls do not each open a new one.
func DefaultHTTPClient(n int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = max(n, 100)
	t.MaxIdleConnsPerHost = max(n, 2)
	return &http.Client{Transport: t}
}

// Invoke signs req, sends it and returns the worker's Response.
// CancelsCalls reports true: ending a call's context closes its HTTP
// request, which ends the request context the function runs under
// (driver.Canceller).
func (c *Client) CancelsCalls() bool { return true }

func (c *Client) Invoke(ctx context.Context, req *driver.Request) (*driver.Response, error) {
	if len(c.Secret) == 0 {
		return nil, fmt.Errorf("%s: no shared secret to sign calls with (set %s, the same secret the function was deployed with)", c.Name, EnvSecret)
	}
	env, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("%s: encode call: %w", c.Name, err)
	}
	if c.MaxMessage > 0 && len(env) > c.MaxMessage {
		return nil, fmt.Errorf("%s: call of %d bytes exceeds the platform's limit of %d bytes (open the pool with pool.WithSpill): %w",
			c.Name, len(env), c.MaxMessage, driver.ErrTooLarge)
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	sig := Sign(c.Secret, env, now())
	body, ctype := env, "application/json"
	if c.Wrap != nil {
		if ctype, body, err = c.Wrap(env, sig); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	hr.Header.Set("Content-Type", ctype)
	if c.Wrap == nil {
		sig.SetHeader(hr.Header)
	}
	if c.Authorize != nil {
		if err := c.Authorize(ctx, hr); err != nil {
			return nil, fmt.Errorf("%s: credentials: %w", c.Name, err)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(hr)
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, DefaultMaxResponse+1))
	if err != nil {
		return nil, c.transportError(ctx, err)
	}
	if len(data) > DefaultMaxResponse {
		return nil, fmt.Errorf("%s: response over %d bytes: %w", c.Name, DefaultMaxResponse, driver.ErrTooLarge)
	}
	if res.StatusCode/100 != 2 {
		return nil, StatusError(c.Name, c.URL, res, data)
	}
	if c.Unwrap != nil {
		if data, err = c.Unwrap(res.StatusCode, data); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
	}
	resp := new(driver.Response)
	if err := json.Unmarshal(data, resp); err != nil || resp.Version == 0 {
		return nil, fmt.Errorf("%s: %s answered %d with something that is not a burst result envelope (is the URL the deployed function?): %.200q",
			c.Name, c.URL, res.StatusCode, data)
	}
	return resp, nil
}

// transportError classifies a failure to get any answer. A refused
// connection never reached a worker; anything later may have run the call,
// which the pool may run again (calls are at-least-once).
func (c *Client) transportError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", c.Name, context.Cause(ctx))
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return fmt.Errorf("%s: %w: %w", c.Name, driver.ErrTransient, err)
	}
	return fmt.Errorf("%s: %w: %w", c.Name, driver.ErrWorkerLost, err)
}

// rejection is the body a worker sends when it refuses a call.
type rejection struct {
	Error    string `json:"error"`
	Rejected bool   `json:"rejected"`
}

// StatusError maps a non-2xx answer onto the pool's error kinds: 429 is
// driver.ErrThrottled, 502–504 driver.ErrTransient, 500 driver.ErrWorkerLost (the
// platform saw the worker crash), 413 driver.ErrTooLarge, each honouring a
// Retry-After header; a worker's refusal is ErrRejected; anything else is
// final.
func StatusError(name, url string, res *http.Response, body []byte) error {
	var rj rejection
	if json.Unmarshal(body, &rj) == nil && rj.Rejected {
		return fmt.Errorf("%s: the function refused the call: %s: %w", name, strings.TrimPrefix(rj.Error, ErrRejected.Error()+": "), ErrRejected)
	}
	msg := fmt.Sprintf("%s: POST %s: %s: %.300s", name, url, res.Status, bytes.TrimSpace(body))
	var kind error
	switch res.StatusCode {
	case http.StatusTooManyRequests:
		kind = driver.ErrThrottled
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		kind = driver.ErrTransient
	case http.StatusInternalServerError:
		kind = driver.ErrWorkerLost
	case http.StatusRequestEntityTooLarge:
		return fmt.Errorf("%s: %w", msg, driver.ErrTooLarge)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s (check the credentials in the config)", msg)
	case http.StatusNotFound:
		return fmt.Errorf("%s (is the function deployed at this URL?)", msg)
	default:
		return errors.New(msg)
	}
	err := fmt.Errorf("%s: %w", msg, kind)
	if d, ok := ParseRetryAfter(res.Header.Get("Retry-After"), time.Now()); ok {
		return &driver.RetryAfter{Err: err, After: d}
	}
	return err
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// NewClient checks what every HTTP backend needs — a URL that parses and a
// shared secret — and fills in the default HTTP client. urlWant describes the
// URL form the platform expects and secretWhere where the worker's copy of the
// secret lives, so the errors tell the user what to fix.
func NewClient(c Client, urlWant, secretWhere string) (*Client, error) {
	if _, err := url.ParseRequestURI(c.URL); err != nil || c.URL == "" {
		return nil, fmt.Errorf("%s: URL %q: want %s", c.Name, c.URL, urlWant)
	}
	if len(c.Secret) == 0 {
		return nil, fmt.Errorf("%s: no shared secret: set %s (the same value as %s)", c.Name, EnvSecret, secretWhere)
	}
	if c.HTTP == nil {
		c.HTTP = DefaultHTTPClient(c.Limit())
	}
	return &c, nil
}
