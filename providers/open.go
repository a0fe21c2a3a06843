// Package providers is the switch between clouds: one file, burst.yaml, says
// where a program's calls run, where its files live and where its shared
// state is kept, and the program's code does not change.
//
//	func main() {
//		pool.Main()
//		cfgPath := flag.String("config", "", "burst.yaml (default: $BURST_CONFIG, ./burst.yaml, ~/.config/burst/burst.yaml)")
//		flag.Parse()
//		env, err := providers.OpenPath(ctx, *cfgPath)
//		if err != nil { log.Fatal(err) }
//		defer env.Close()
//		ys, err := Square.Map(ctx, env.Pool, xs)
//		env.FS.WriteFile("results.json", data)
//	}
//
// With no config file at all everything runs in this process: pool local://,
// files in memory, shared state in memory. docs/config.md is the reference
// of the file; docs/providers/*.md say how to set each cloud up.
//
// Like database/sql, the package only switches: the backends are the pool
// packages, which it imports so that every backend named in a config is
// there. A program that wants a smaller binary can use pool.Open directly
// with the one backend it needs.
package providers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/codec"
	"github.com/burst-dev/burst/internal/redact"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/driver"
	"github.com/burst-dev/burst/pool/spill"
	"github.com/burst-dev/burst/shared"
)

// Env is what a program needs to run: a pool for its calls, a file system
// for its data, shared state, all from one config and closed together.
//
// Functions called through Pool reach the same FS and Shared with
// FromContext, on every backend. Shared is in a namespace of its own for the
// run, dropped by Close, unless the shared URL names one (namespace=), which
// is kept.
type Env struct {
	Config *Config
	Pool   *pool.Pool
	FS     *cloudfs.FS
	Shared *shared.Client

	id            string // key of this Env among the process's, for in-process calls
	dropNamespace string // the run's own shared namespace, dropped by Close
}

// Close closes the pool, drops the run's shared namespace (unless the URL
// named one), and closes the file system and the shared client, returning
// every error that occurred.
func (e *Env) Close() error {
	var errs []error
	if e.Pool != nil {
		errs = append(errs, e.Pool.Close())
	}
	if e.id != "" {
		driverEnvs.Delete(e.id)
	}
	if e.Shared != nil && e.dropNamespace != "" {
		errs = append(errs, e.Shared.Drop(context.Background(), e.dropNamespace))
	}
	if e.Shared != nil {
		errs = append(errs, e.Shared.Close())
	}
	if e.FS != nil {
		errs = append(errs, e.FS.Close())
	}
	return errors.Join(errs...)
}

// OpenPath loads the config at path (see Find for the search when path is
// empty) and opens it.
func OpenPath(ctx context.Context, path string, opts ...pool.Option) (*Env, error) {
	cfg, err := Load(path)
	if err != nil {
		return nil, err
	}
	return Open(ctx, cfg, opts...)
}

// Open opens the pool, storage and shared state a config names. Options are
// applied to the pool after the config's own settings. When the storage
// is reachable by the workers (not mem:// with a remote backend), calls whose
// payload exceeds the backend's message limit spill to it, under
// burst-spill/<job>/.
func Open(ctx context.Context, cfg *Config, opts ...pool.Option) (*Env, error) {
	if cfg == nil {
		var err error
		if cfg, err = defaultConfig(func(string) (string, bool) { return "", false }); err != nil {
			return nil, err
		}
	}
	env := &Env{Config: cfg}
	fail := func(err error) (*Env, error) {
		env.Close()
		return nil, err
	}
	storage := cfg.Storage
	if storage == "" {
		storage = "mem://"
	}
	fsys, err := cloudfs.Open(ctx, storage)
	if err != nil {
		return fail(fmt.Errorf("providers: storage %s: %w", redact.URL(storage), redact.Error(err)))
	}
	env.FS = fsys
	sharedURL := cfg.Shared
	if sharedURL == "" {
		sharedURL = "mem://"
	}
	sc, err := shared.Open(ctx, sharedURL)
	if err != nil {
		return fail(fmt.Errorf("providers: shared %s: %w", redact.URL(sharedURL), redact.Error(err)))
	}
	env.Shared = sc
	ns, drop, err := runNamespace(sharedURL)
	if err != nil {
		return fail(fmt.Errorf("providers: shared %s: %w", redact.URL(sharedURL), err))
	}
	if ns != sc.Namespace() {
		if env.Shared, err = sc.WithNamespace(ns); err != nil {
			return fail(err)
		}
	}
	if drop {
		env.dropNamespace = ns
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	env.id = hex.EncodeToString(id[:])
	ref, _ := json.Marshal(envRef{ID: env.id, Storage: storage, Shared: sharedURL, Namespace: ns})
	driverEnvs.Store(env.id, env)

	purl, err := cfg.PoolURL()
	if err != nil {
		return fail(err)
	}
	popts, err := cfg.poolOptions(fsys)
	if err != nil {
		return fail(err)
	}
	// The pool logs lost workers and refused calls, whose errors may quote
	// a URL: send them through the redactor (a WithLogger in opts still
	// wins).
	popts = append([]pool.Option{pool.WithLogger(slog.New(redact.Handler(slog.Default().Handler())))}, popts...)
	popts = append(popts, pool.WithCallValue(callValue, string(ref)))
	p, err := pool.Open(ctx, purl, append(popts, opts...)...)
	if err != nil {
		return fail(fmt.Errorf("providers: compute %s: %w", redact.URL(purl), redact.Error(err)))
	}
	env.Pool = p
	return env, nil
}

// PoolURL is the pool URL the config describes: compute.url as given, or
// the one compute.backend's section makes.
func (c *Config) PoolURL() (string, error) {
	if c.Compute.URL != "" {
		return c.Compute.URL, nil
	}
	b := cmp.Or(c.Compute.Backend, "local")
	s := c.sectionOf(b)
	if s == nil {
		return "", c.fail("compute.backend", "backend %s is not linked into this program (linked: %s); add the import\n\t_ \"github.com/burst-dev/burst/pool/%s\"\nor, for every backend, _ \"github.com/burst-dev/burst/providers/all\"",
			b, strings.Join(backendNames(), ", "), b)
	}
	u, err := s.PoolURL(c.driverCompute())
	if err != nil {
		return "", c.keyErr(err)
	}
	return u, nil
}

// poolSettings is what a config sets on its pool beyond the URL: the
// compute section's own settings and the defaults of the backend's
// capabilities. It depends on the backend, never on how the config spells
// it (compute.url or compute.backend).
type poolSettings struct {
	Timeout        Duration
	Retries        *int
	Codec          string
	SpillThreshold int // 0: no payload store
}

func (c *Config) poolSettings() (poolSettings, error) {
	cp := c.Compute
	ps := poolSettings{Timeout: cp.Timeout, Retries: cp.Retries, Codec: cp.Codec}
	caps, err := c.capabilities()
	if err != nil {
		return ps, err
	}
	if ps.Retries == nil && caps.Retries > 0 {
		// Cloud platforms throttle bursts as a matter of course: their
		// backends ask for more chances than the pool's default of 3.
		n := caps.Retries
		ps.Retries = &n
	}
	if caps.Remote && caps.SpillThreshold > 0 && c.Storage != "" && !strings.HasPrefix(c.Storage, "mem://") {
		ps.SpillThreshold = caps.SpillThreshold
	}
	return ps, nil
}

// poolOptions turns compute settings into pool options.
func (c *Config) poolOptions(fsys *cloudfs.FS) ([]pool.Option, error) {
	ps, err := c.poolSettings()
	if err != nil {
		return nil, err
	}
	var opts []pool.Option
	if ps.Timeout > 0 {
		opts = append(opts, pool.WithTimeout(ps.Timeout.D()))
	}
	if ps.Retries != nil {
		opts = append(opts, pool.WithRetries(*ps.Retries))
	}
	if ps.Codec != "" {
		cd, err := codec.Lookup(ps.Codec)
		if err != nil {
			return nil, c.fail("compute.codec", "%v", err)
		}
		opts = append(opts, pool.WithCodec(cd))
	}
	if ps.SpillThreshold > 0 {
		opts = append(opts, pool.WithSpill(spill.New(fsys), ps.SpillThreshold))
	}
	return opts, nil
}

// scheme is the pool URL scheme of the configured backend, from either
// spelling, and the config key that named it.
func (c *Config) scheme() (scheme, key string) {
	if c.Compute.URL != "" {
		u, err := url.Parse(c.Compute.URL)
		if err != nil {
			return "", "compute.url"
		}
		return u.Scheme, "compute.url"
	}
	if c.Compute.Backend == "" {
		return "local", "compute.backend"
	}
	return c.Compute.Backend, "compute.backend"
}

// capabilities are those the configured backend registered; a backend not
// linked into the program is an error naming the import to add.
func (c *Config) capabilities() (driver.Capabilities, error) {
	scheme, key := c.scheme()
	if scheme == "" {
		return driver.Capabilities{}, c.fail(key, "%s is not a URL with a scheme, such as process://?workers=4", redact.URL(c.Compute.URL))
	}
	caps, ok := driver.CapabilitiesOf(scheme)
	if !ok {
		return caps, c.fail(key, "backend %s is not linked into this program (linked: %s); add the import\n\t_ \"github.com/burst-dev/burst/pool/%s\"\nor, for every backend, _ \"github.com/burst-dev/burst/providers/all\"",
			scheme, strings.Join(driver.Schemes(), ", "), scheme)
	}
	return caps, nil
}

// remote reports whether calls leave this machine.
func (c *Config) remote() bool {
	caps, err := c.capabilities()
	return err == nil && caps.Remote
}

// Deployer is what burst deploy deploys compute.backend with, made from the
// backend's section; nil when the backend runs this program's own binary.
// Errors naming a key of burst.yaml, made now or by Deploy, say where it is.
func (c *Config) Deployer() (driver.Deployer, error) {
	if c.Compute.URL != "" {
		return nil, c.fail("compute.url", "burst deploy needs compute.backend and its section of burst.yaml, not a pool URL")
	}
	b := cmp.Or(c.Compute.Backend, "local")
	f, ok := driver.LookupDeployer(b)
	if !ok {
		return nil, c.fail("compute.backend", "burst deploy for backend %s is not linked into this program (linked: %s); add the import of its deploy package, such as\n\t_ \"github.com/burst-dev/burst/pool/%s/%sdeploy\"",
			b, strings.Join(driver.DeployerNames(), ", "), b, b)
	}
	d, err := f(c.sectionOf(b), c.driverCompute())
	if err != nil || d == nil {
		if err != nil {
			err = c.keyErr(err)
		}
		return nil, err
	}
	return driver.DeployFunc{T: d.Target(), F: func(ctx context.Context, a driver.Artifact) (*driver.Deployed, error) {
		r, err := d.Deploy(ctx, a)
		var ke *driver.KeyError
		if errors.As(err, &ke) {
			return r, c.keyErr(err)
		}
		return r, err
	}}, nil
}
