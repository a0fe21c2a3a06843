// Package shared holds state that a burst driver program and all of its
// functions can see at once, with the shapes of sync.Map, channels,
// sync.Mutex and sync.WaitGroup: Map, Queue, Mutex, WaitGroup, Barrier and
// Counter.
//
// A Client is opened from a URL. mem:// keeps everything in the current
// process (what local:// pools use); redis://[user:pass@]host:port/db and
// rediss:// (TLS) keep it in Redis, so functions running in other processes
// or clouds share it. The Redis driver is a separate package so programs that
// do not use it do not link it:
//
//	import _ "github.com/burst-dev/burst/shared/redis"
//
//	c, err := shared.Open(ctx, "redis://127.0.0.1:6379/0?namespace=job-42")
//	defer c.Close()
//	temps := shared.NewMap[int, float64](c, "temperatures")
//	err = temps.Store(ctx, 3, 310.5)
//	t, ok, err := temps.Load(ctx, 3)
//
// Every key lives under a namespace (default "default"), so jobs sharing one
// Redis never collide, and Client.Drop removes one job's keys.
//
// Values are encoded with a codec.Codec (codec.Binary, exact for every Go
// value pool.Register accepts, unless WithCodec says otherwise). Every operation takes a context and returns an error: errors
// from an unreachable store wrap ErrUnavailable and name its address.
package shared

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/inworker"
	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/internal/registry"
	"github.com/burst-dev/burst/shared/driver"
	"github.com/burst-dev/burst/shared/mem"
)

// Errors that callers test with errors.Is.
var (
	// ErrUnavailable wraps every error caused by an unreachable store; the
	// message names the store's address. The same Client works again once
	// the store is back.
	ErrUnavailable = driver.ErrUnavailable
	// ErrAuth: the store refused the user name or password in the URL.
	ErrAuth = driver.ErrAuth
	// ErrClosed: the Client (or the Client it was derived from) was closed.
	ErrClosed = driver.ErrClosed
	// ErrMismatch: a shared object exists with other parameters (a Barrier
	// with another number of parties).
	ErrMismatch = driver.ErrMismatch
	// ErrDecode: a stored value cannot be decoded into the Go type asked
	// for; the error is a *DecodeError carrying the raw bytes.
	ErrDecode = errors.New("stored value cannot be decoded")
	// ErrNotHeld: Unlock or Extend of a Mutex this handle does not hold
	// (never locked, already unlocked, or its lease ended and someone
	// else took it).
	ErrNotHeld = errors.New("mutex not held by this handle")
	// ErrLeaseExpired: Ack, Extend or Release of a queue item whose lease
	// ended; the item went back to the queue and may be held by another
	// consumer now.
	ErrLeaseExpired = driver.ErrLeaseExpired
	// ErrNegative: a WaitGroup counter would go below zero.
	ErrNegative = errors.New("negative WaitGroup counter")
	// ErrBadInput: an invalid name, namespace, option or URL.
	ErrBadInput = errors.New("invalid argument")
)

// DecodeError reports a stored value that the codec cannot decode. Nothing is
// lost: the value stays stored (Map), or is handed back in Raw (Queue.Get).
type DecodeError struct {
	Object string // e.g. `map "temps"`
	Key    string // map key, if any
	Codec  string
	Type   string // Go type asked for
	Raw    []byte
	Err    error
}

func (e *DecodeError) Error() string {
	key := ""
	if e.Key != "" {
		key = fmt.Sprintf(" key %q", e.Key)
	}
	return fmt.Sprintf("shared: %s%s: %v: %d bytes with codec %s into %s: %v",
		e.Object, key, ErrDecode, len(e.Raw), e.Codec, e.Type, e.Err)
}

func (e *DecodeError) Unwrap() []error { return []error{ErrDecode, e.Err} }

var drivers = registry.New[driver.Opener]("shared: scheme")

func init() {
	Register(mem.Scheme, mem.Open)
}

// Register makes a driver available to Open under scheme. Driver packages
// call it from init; it panics if the scheme is taken, as a second driver
// for one scheme is a programming error.
func Register(scheme string, open driver.Opener) { drivers.Register(scheme, open) }

func schemes() []string {
	s := drivers.Names()
	for i := range s {
		s[i] += "://"
	}
	return s
}

// DefaultNamespace is used when the URL names none.
const DefaultNamespace = "default"

var namespaceRE = regexp.MustCompile(`^[A-Za-z0-9._/-]{1,200}$`)

func checkNamespace(ns string) error {
	if !namespaceRE.MatchString(ns) {
		return fmt.Errorf("shared: namespace %q: %w: want 1 to 200 of A-Z a-z 0-9 . _ / -", ns, ErrBadInput)
	}
	return nil
}

// Client is a connection to a store under one namespace. It is safe for
// concurrent use; open one per process and share it.
type Client struct {
	conn   driver.Conn
	ns     string
	prefix string
	closed *atomic.Bool // shared by WithNamespace views
}

// Open connects to the store named by rawURL:
//
//	mem://                 this process's default in-memory store
//	mem://name             another in-memory store of this process
//	                       (refused in a burst worker, where it would not be the driver's)
//	redis://[user:password@]host:port[/db]   (import shared/redis)
//	rediss://...           Redis over TLS
//
// The query parameter namespace=NAME sets the namespace (default
// "default"); other query parameters go to the driver. Open checks that the
// store answers and accepts the credentials, so a wrong address or password
// is reported here and not at the first operation.
func Open(ctx context.Context, rawURL string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("shared: Open: %w: %w", ErrBadInput, redact.Error(err))
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("shared: Open %q: %w: no scheme; want one of %s", redactURL(u), ErrBadInput, strings.Join(schemes(), ", "))
	}
	open, _ := drivers.Lookup(u.Scheme)
	if open == nil {
		hint := ""
		if u.Scheme == "redis" || u.Scheme == "rediss" {
			hint = ` (add: import _ "github.com/burst-dev/burst/shared/redis")`
		}
		return nil, fmt.Errorf("shared: Open %q: %w: unknown scheme %q; registered: %s%s",
			redactURL(u), ErrBadInput, u.Scheme, strings.Join(schemes(), ", "), hint)
	}
	if u.Scheme == mem.Scheme {
		if m := inworker.Mode(); m != "" {
			return nil, fmt.Errorf("shared: Open %q: %w: this process is a burst worker (%s), where a mem:// store is the worker's own and not the driver's, so the functions and the driver would each see their own state; use redis:// (import shared/redis), or the driver's client from providers.FromContext(ctx)",
				redactURL(u), ErrBadInput, m)
		}
	}
	q := u.Query()
	ns := DefaultNamespace
	if q.Has("namespace") {
		ns = q.Get("namespace")
		if err := checkNamespace(ns); err != nil {
			return nil, err
		}
		q.Del("namespace")
		u.RawQuery = q.Encode()
	}
	conn, err := open(ctx, u)
	if err != nil {
		if errors.Is(err, ErrUnavailable) || errors.Is(err, ErrAuth) {
			return nil, fmt.Errorf("shared: Open: %w", redact.Error(err))
		}
		return nil, fmt.Errorf("shared: Open: %w: %w", ErrBadInput, redact.Error(err))
	}
	return &Client{conn: conn, ns: ns, prefix: "{" + ns + "}:", closed: new(atomic.Bool)}, nil
}

func redactURL(u *url.URL) string { return redact.URL(u.String()) }

// Namespace returns the namespace every key of c lives under.
func (c *Client) Namespace() string { return c.ns }

// WithNamespace returns a Client for another namespace over the same
// connection. Closing either closes both.
func (c *Client) WithNamespace(ns string) (*Client, error) {
	if err := checkNamespace(ns); err != nil {
		return nil, err
	}
	return &Client{conn: c.conn, ns: ns, prefix: "{" + ns + "}:", closed: c.closed}, nil
}

// Drop removes every key of namespace ns (any namespace, not only c's).
func (c *Client) Drop(ctx context.Context, ns string) error {
	if err := checkNamespace(ns); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return fmt.Errorf("shared: Drop %q: %w", ns, err)
	}
	if err := c.conn.DropPrefix(ctx, "{"+ns+"}:"); err != nil {
		return fmt.Errorf("shared: Drop %q: %w", ns, err)
	}
	return nil
}

// As sets i to the driver's native client when i is a pointer to its type
// (for Redis, **redis.Client), for what the portable API does not cover.
func (c *Client) As(i any) bool { return c.conn.As(i) }

// Addr names the store (host:port for Redis).
func (c *Client) Addr() string { return c.conn.Addr() }

// Close closes the connection. Operations after Close return ErrClosed.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.conn.Close()
}

func (c *Client) check() error {
	if c.closed.Load() {
		return ErrClosed
	}
	return nil
}

// key builds the full key of an object: the namespace in braces (a Redis
// Cluster hash tag, so all of one job's keys share a slot and scripts may
// touch several), a type letter so a Map and a Queue may share a name, and
// the name.
func (c *Client) key(kind byte, name string) string {
	return c.prefix + string(kind) + ":" + name
}

func checkName(what, name string) error {
	if name == "" {
		return fmt.Errorf("shared: %s: %w: empty name", what, ErrBadInput)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("shared: %s %q: %w: name contains a NUL byte", what, name, ErrBadInput)
	}
	if len(name) > 1024 {
		return fmt.Errorf("shared: %s %.40q...: %w: name longer than 1024 bytes", what, name, ErrBadInput)
	}
	return nil
}

// Option configures a Map, Queue or Mutex.
type Option interface{ apply(*options) }

type options struct {
	codec codec.Codec
	lease time.Duration
}

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// WithCodec sets the codec for a Map's or Queue's values (default
// codec.Binary; codec.JSON for readers in other languages). Every process
// using the object must use the same codec.
func WithCodec(c codec.Codec) Option {
	return optionFunc(func(o *options) { o.codec = c })
}

// WithLease sets how long a Mutex holder or a Queue consumer (Take) may go
// without Unlock/Ack or Extend before the store assumes it died: the Mutex
// frees itself, the queue item goes back to the queue. Defaults: 30 s for a
// Mutex, 1 min for a Queue.
func WithLease(d time.Duration) Option {
	return optionFunc(func(o *options) { o.lease = d })
}

func buildOptions(lease time.Duration, opts []Option) (options, error) {
	o := options{codec: codec.Binary, lease: lease}
	for _, op := range opts {
		if op != nil {
			op.apply(&o)
		}
	}
	if o.codec == nil {
		return o, fmt.Errorf("%w: WithCodec(nil)", ErrBadInput)
	}
	if o.lease < time.Millisecond {
		return o, fmt.Errorf("%w: WithLease(%v): want at least 1ms", ErrBadInput, o.lease)
	}
	return o, nil
}

// backoff sleeps between polls of a store, starting short so that a quick
// hand-over is quick and growing so that a long wait costs little.
type backoff struct{ d time.Duration }

func (b *backoff) wait(ctx context.Context) error {
	if b.d == 0 {
		b.d = time.Millisecond
	} else if b.d < 50*time.Millisecond {
		b.d *= 2
	}
	t := time.NewTimer(b.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
