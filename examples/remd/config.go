package main

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
)

// fromConfig reads a burst.yaml: its pool URL becomes -backend, and its
// storage and shared URLs are the defaults of -storage-url and -shared-url
// (used only with -storage objectstore or shared).
func (o *options) fromConfig(set map[string]bool) (*providers.Config, error) {
	if set["backend"] {
		return nil, fmt.Errorf("give either -config or -backend, not both")
	}
	cfg, err := providers.Load(o.config)
	if err != nil {
		return nil, fmt.Errorf("-config: %w", err)
	}
	if o.backend, err = cfg.PoolURL(); err != nil {
		return nil, fmt.Errorf("-config %s: %w", o.config, err)
	}
	if o.storage == "objectstore" && o.storageURL == "" {
		o.storageURL = cfg.Storage
	}
	if o.storage == "shared" && o.sharedURL == "" {
		o.sharedURL = cfg.Shared
	}
	return cfg, nil
}

// openPool opens the pool: from the config through providers when one was
// given, else from -backend.
func openPool(ctx context.Context, cfg *providers.Config, backend string) (*pool.Pool, func(), error) {
	if cfg != nil {
		env, err := providers.Open(ctx, cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("-config %s: %w", cfg.Path, err)
		}
		return env.Pool, func() { env.Close() }, nil
	}
	p, err := pool.Open(ctx, backend)
	if err != nil {
		return nil, nil, fmt.Errorf("-backend %s: %w", backend, err)
	}
	return p, func() { p.Close() }, nil
}
