// Package spill keeps call payloads that are too large for a backend's message
// limit in an object store reached through cloudfs, so that driver and
// workers can pass them by key:
//
//	store, err := spill.Open(ctx, "s3://my-bucket?prefix=jobs/")
//	p, err := pool.Open(ctx, "aws://my-fn", pool.WithSpill(store, 6<<20-64<<10))
package spill

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/pool/driver"
)

// Store is a driver.PayloadStore on a cloudfs file system.
type Store struct{ fsys *cloudfs.FS }

var _ driver.PayloadStore = (*Store)(nil)

// Open opens a store on a cloudfs URL.
func Open(ctx context.Context, url string) (*Store, error) {
	fsys, err := cloudfs.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return &Store{fsys: fsys}, nil
}

// New makes a store on an open file system; closing the store closes it.
func New(fsys *cloudfs.FS) *Store { return &Store{fsys: fsys} }

func (s *Store) Put(ctx context.Context, key string, data []byte) error {
	return s.fsys.WithContext(ctx).WriteFile(key, data)
}

func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	return fs.ReadFile(s.fsys.WithContext(ctx), key)
}

func (s *Store) Delete(ctx context.Context, key string) error {
	return s.fsys.WithContext(ctx).Remove(key)
}

// Close closes the file system.
func (s *Store) Close() error { return s.fsys.Close() }

// Environment variables that configure spilling on the worker side; deploy
// tools set them on the function.
const (
	EnvURL       = "BURST_SPILL_URL"       // cloudfs URL of the store
	EnvThreshold = "BURST_SPILL_THRESHOLD" // spill results larger than this many bytes
)

// HandlerFromEnv returns the worker-side handler a serverless worker should
// use: with a store when BURST_SPILL_URL is set, plain otherwise.
func HandlerFromEnv(ctx context.Context) (driver.Handler, error) {
	u := os.Getenv(EnvURL)
	if u == "" {
		return driver.Handler{}, nil
	}
	s, err := Open(ctx, u)
	if err != nil {
		return driver.Handler{}, fmt.Errorf("spill: %s=%q: %w", EnvURL, u, err)
	}
	h := driver.Handler{Store: s}
	if v := os.Getenv(EnvThreshold); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return driver.Handler{}, fmt.Errorf("spill: %s=%q: want a byte count", EnvThreshold, v)
		}
		h.Threshold = n
	}
	return h, nil
}
