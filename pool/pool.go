package pool

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/inworker"
	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/pool/driver"
)

// Pool runs calls on a backend. It is safe for concurrent use. A Pool made by
// With shares its backend, pool-wide limit and statistics with its parent.
type Pool struct {
	core *core
	set  settings
	sem  chan struct{} // this view's own limit, nil when it has none
}

// core is what all views of one pool share.
type core struct {
	backend  driver.Backend
	direct   bool // call Go functions directly, without encoding
	job      string
	nextID   atomic.Uint64
	sem      chan struct{}  // pool-wide window: the limit, plus the calls a Queuer holds waiting
	limit    int            // pool-wide limit on calls running at once
	queuer   bool           // the backend enforces limit and timeouts itself
	starter  driver.Starter // the backend, when it can run a call with no goroutine waiting
	stats    counters
	log      *slog.Logger
	closed   atomic.Bool
	once     sync.Once
	closeErr error
}

type settings struct {
	limit    int // 0: the backend's Limit
	timeout  time.Duration
	retries  int
	codec    codec.Codec
	backoff  [2]time.Duration // initial, max
	logger   *slog.Logger
	buildChk bool
	spill    driver.PayloadStore
	spillAt  int
	onCall   func(CallStats)
	backups  backups
	values   map[string]string
}

// WithCallValue attaches a named string to every call made through the pool.
// In the worker (and for local:// calls in the driver) the context hook
// registered under name (driver.RegisterContextHook) turns it into the
// function's context: how providers gives functions the driver's storage
// and shared state (providers.FromContext).
func WithCallValue(name, value string) Option {
	return Option{func(s *settings) {
		m := make(map[string]string, len(s.values)+1)
		for k, v := range s.values {
			m[k] = v
		}
		m[name] = value
		s.values = m
	}}
}

// An Option configures a Pool (Open, New) or a view of one (With).
type Option struct{ apply func(*settings) }

// WithLimit caps how many calls run at once: through the whole pool when
// given to Open or New, through one view when given to With (in addition to
// the pool-wide cap). n < 1 means the backend's default.
func WithLimit(n int) Option { return Option{func(s *settings) { s.limit = n }} }

// WithTimeout bounds each attempt of a call; the deadline travels to the
// worker, whose context for the function ends with it. 0 means none.
func WithTimeout(d time.Duration) Option { return Option{func(s *settings) { s.timeout = d }} }

// WithRetries sets how many times a retryable failure (lost worker,
// throttling, transient transport, an error marked Retryable) is retried. The
// default is 3; 0 disables retries.
func WithRetries(n int) Option { return Option{func(s *settings) { s.retries = n }} }

// WithBackoff sets the first and the largest wait between attempts; waits grow
// exponentially between them, with ±50 % jitter. Default 20 ms and 5 s.
func WithBackoff(initial, max time.Duration) Option {
	return Option{func(s *settings) { s.backoff = [2]time.Duration{initial, max} }}
}

// WithCodec sets how inputs and outputs are encoded. The default,
// codec.Binary, round-trips every value Register accepts exactly; use
// codec.JSON when the workers are not Go programs of this binary.
func WithCodec(c codec.Codec) Option { return Option{func(s *settings) { s.codec = c }} }

// WithLogger sets where the pool logs retries and worker events.
func WithLogger(l *slog.Logger) Option { return Option{func(s *settings) { s.logger = l }} }

// WithCallHook calls fn with the statistics of every call as it finishes,
// successful or not, on the goroutine that ended the call (the caller's, or
// the backend's that read its result); fn must be quick and safe for
// concurrent use. pool/timeline records calls this way.
func WithCallHook(fn func(CallStats)) Option { return Option{func(s *settings) { s.onCall = fn }} }

func defaults() settings {
	return settings{retries: 3, codec: codec.Binary, backoff: [2]time.Duration{20 * time.Millisecond, 5 * time.Second},
		logger: slog.Default(), buildChk: true}
}

// New makes a Pool over a backend, for tools that build one themselves
// (package pool/driver defines the interface); programs use Open.
func New(b driver.Backend, opts ...Option) *Pool {
	set := defaults()
	for _, o := range opts {
		o.apply(&set)
	}
	limit := set.limit
	if limit < 1 {
		limit = b.Limit()
	}
	if limit < 1 {
		limit = 1
	}
	var jid [6]byte
	_, _ = rand.Read(jid[:])
	window := limit
	q, queuer := b.(driver.Queuer)
	if queuer {
		window += max(q.Queue(limit), 0)
	}
	c := &core{backend: b, job: hex.EncodeToString(jid[:]), sem: make(chan struct{}, window), limit: limit,
		queuer: queuer, log: set.logger}
	if ip, ok := b.(driver.InProcess); ok && ip.InProcess() {
		c.direct = true
	}
	c.starter, _ = b.(driver.Starter)
	set.limit = 0 // the pool-wide limit lives in core.sem
	return &Pool{core: c, set: set}
}

// Open opens a pool from a URL such as "local://", "local://?encode=1" or
// "process://?workers=2". Every scheme accepts the pool-wide parameters
// limit (calls at once), timeout (per attempt, a Go duration), retries,
// codec (bin, the default; json; gob) and buildcheck (on, the default; off:
// calls go without the driver's build id, so workers of another build accept
// them, only for tools that know both sides agree); the rest belong to the
// backend. Options override URL parameters.
func Open(ctx context.Context, rawURL string, opts ...Option) (*Pool, error) {
	// Errors quote the URL redacted: a password or a secret-looking
	// parameter is never printed.
	shown := redact.URL(rawURL)
	if mode, ok := driver.StartedAsWorker(); ok && inworker.Mode() == "" {
		// Without this, every worker of a process:// pool would open a
		// pool of its own, whose workers would do the same: processes
		// without end, and a driver that never gets an answer.
		return nil, fmt.Errorf("pool: open %q: this process was started as a %s worker but has not served its driver: pool.Main() must be the first statement of main (it serves calls in a worker and returns at once in a driver)",
			shown, mode)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("pool: open %q: %w", shown, redact.Error(errors.Unwrap(err)))
	}
	open, ok := driver.Lookup(u.Scheme)
	if !ok {
		return nil, fmt.Errorf("pool: open %q: unknown backend scheme %q (registered: %s; import the backend's package, e.g. _ \"github.com/burst-dev/burst/pool/process\")",
			shown, u.Scheme, strings.Join(driver.Schemes(), ", "))
	}
	if u.User != nil {
		// No backend reads user:password@; dropping it silently would
		// leave the user believing it is used.
		return nil, fmt.Errorf("pool: open %q: credentials in the URL (user:password@) would be dropped: backend %s reads its credential from the variable its *_env parameter names",
			shown, u.Scheme)
	}
	q := u.Query()
	var urlOpts []Option
	for _, key := range []string{"limit", "timeout", "retries", "codec", "buildcheck"} {
		v := q.Get(key)
		if !q.Has(key) {
			continue
		}
		q.Del(key)
		o, err := urlOption(key, v)
		if err != nil {
			return nil, fmt.Errorf("pool: open %q: %w", shown, err)
		}
		urlOpts = append(urlOpts, o)
	}
	u.RawQuery = q.Encode()
	b, err := open(ctx, u)
	if err != nil {
		return nil, redact.Error(err)
	}
	return New(b, append(urlOpts, opts...)...), nil
}

func urlOption(key, v string) (Option, error) {
	switch key {
	case "limit", "retries":
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return Option{}, fmt.Errorf("parameter %s=%q: want a whole number ≥ 0", key, v)
		}
		if key == "limit" {
			return WithLimit(n), nil
		}
		return WithRetries(n), nil
	case "timeout":
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Option{}, fmt.Errorf("parameter timeout=%q: want a Go duration such as 30s or 5m", v)
		}
		return WithTimeout(d), nil
	case "buildcheck":
		if v != "on" && v != "off" {
			return Option{}, fmt.Errorf("parameter buildcheck=%q: want on or off", v)
		}
		return Option{func(s *settings) { s.buildChk = v == "on" }}, nil
	default: // codec
		c, err := codec.Lookup(v)
		if err != nil {
			return Option{}, fmt.Errorf("parameter codec: %w", err)
		}
		return WithCodec(c), nil
	}
}

// With returns a view of p with other settings: its own concurrency limit
// (on top of the pool-wide one), timeout, retries, codec or payload store.
// The view shares
// p's backend and statistics; closing either closes both.
func (p *Pool) With(opts ...Option) *Pool {
	v := &Pool{core: p.core, set: p.set, sem: p.sem}
	v.set.limit = 0
	for _, o := range opts {
		o.apply(&v.set)
	}
	if v.set.limit > 0 {
		v.sem = make(chan struct{}, v.set.limit)
	}
	return v
}

// Limit is how many calls may run at once through p.
func (p *Pool) Limit() int {
	if p.sem != nil && cap(p.sem) < p.core.limit {
		return cap(p.sem)
	}
	return p.core.limit
}

// window is how many calls may be in flight through p: Limit, plus the calls
// a Queuer backend holds waiting to start. Map and Stream keep this many
// going so that the backend always has the next call at hand.
func (p *Pool) window() int {
	if p.sem != nil && cap(p.sem) < cap(p.core.sem) {
		return cap(p.sem)
	}
	return cap(p.core.sem)
}

// As sets target, a pointer to an interface or to a backend's own type, to
// the pool's backend when the backend is of that type, and reports whether it
// did; it also asks a backend that has an As method of its own. Tools reach
// a backend's specific features this way, as with gocloud.dev's As.
func (p *Pool) As(target any) bool {
	b := p.core.backend
	if v := reflect.ValueOf(target); v.Kind() == reflect.Pointer && !v.IsNil() {
		if reflect.TypeOf(b).AssignableTo(v.Elem().Type()) {
			v.Elem().Set(reflect.ValueOf(b))
			return true
		}
	}
	if a, ok := b.(interface{ As(any) bool }); ok {
		return a.As(target)
	}
	return false
}

// Job is the pool's random job id; it travels in every call envelope.
func (p *Pool) Job() string { return p.core.job }

// Stats returns the totals over all calls made through the pool so far.
func (p *Pool) Stats() Stats { return p.core.stats.snapshot() }

// Close closes the backend. Calls after Close fail with ErrClosed; calls in
// flight may fail.
func (p *Pool) Close() error {
	c := p.core
	c.once.Do(func() {
		c.closed.Store(true)
		c.closeErr = c.backend.Close()
	})
	return c.closeErr
}

// tryAcquire takes a slot in the view's and the pool's limits if both have
// one free.
func (p *Pool) tryAcquire() (release func(), ok bool) {
	if p.sem != nil {
		select {
		case p.sem <- struct{}{}:
		default:
			return nil, false
		}
	}
	select {
	case p.core.sem <- struct{}{}:
	default:
		if p.sem != nil {
			<-p.sem
		}
		return nil, false
	}
	return p.releaser(), true
}

// releaser frees a slot taken by acquire or tryAcquire.
func (p *Pool) releaser() func() {
	return func() {
		<-p.core.sem
		if p.sem != nil {
			<-p.sem
		}
	}
}

// acquire takes a slot in the view's and the pool's limits.
func (p *Pool) acquire(ctx context.Context) (release func(), err error) {
	if p.sem != nil {
		select {
		case p.sem <- struct{}{}:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
	select {
	case p.core.sem <- struct{}{}:
	case <-ctx.Done():
		if p.sem != nil {
			<-p.sem
		}
		return nil, context.Cause(ctx)
	}
	return p.releaser(), nil
}
