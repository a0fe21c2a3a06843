package remd

import (
	"context"
	"fmt"

	"github.com/burst-dev/burst/remd/engine"
	"github.com/burst-dev/burst/shared"
)

func init() {
	storeOpeners[Shared] = func(ctx context.Context, url string) (stateStore, error) {
		c, err := shared.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return sharedStore{m: shared.NewMap[string, engine.State](c, "remd-states"), leases: shared.NewMap[string, leaseRecord](c, "remd-leases")}, nil
	}
}

// sharedStore keeps states in one shared.Map keyed like the object store.
type sharedStore struct {
	m      *shared.Map[string, engine.State]
	leases *shared.Map[string, leaseRecord]
}

func (s sharedStore) createLease(ctx context.Context, key string, rec leaseRecord) (leaseRecord, bool, error) {
	cur, loaded, err := s.leases.LoadOrStore(ctx, key, rec)
	return cur, !loaded, err
}

func (s sharedStore) replaceLease(ctx context.Context, key string, old, rec leaseRecord) (bool, error) {
	return s.leases.CompareAndSwap(ctx, key, old, rec)
}

func (s sharedStore) deleteLease(ctx context.Context, key string, old leaseRecord) error {
	_, err := s.leases.CompareAndDelete(ctx, key, old)
	return err
}

func (s sharedStore) load(ctx context.Context, key string) (engine.State, error) {
	st, ok, err := s.m.Load(ctx, key)
	if err != nil {
		return st, fmt.Errorf("load state %s: %w", key, err)
	}
	if !ok {
		return st, fmt.Errorf("load state %s: not in the shared map (was the run started with another -shared-url, or the store flushed?)", key)
	}
	return st, nil
}

func (s sharedStore) save(ctx context.Context, key string, st engine.State) error {
	if err := s.m.Store(ctx, key, st); err != nil {
		return fmt.Errorf("save state %s: %w", key, err)
	}
	return nil
}

// removeMany is one DeleteMany (one HDEL on Redis).
func (s sharedStore) removeMany(ctx context.Context, keys []string) error {
	if err := s.m.DeleteMany(ctx, keys); err != nil {
		return fmt.Errorf("remove states: %w", err)
	}
	return nil
}
