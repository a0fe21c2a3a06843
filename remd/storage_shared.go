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
		return sharedStore{
			m:      shared.NewMap[string, []byte](c, "remd-states", shared.WithCodec(rawBytes{})),
			leases: shared.NewMap[string, leaseRecord](c, "remd-leases"),
		}, nil
	}
}

// sharedStore keeps states in one shared.Map keyed like the object store,
// each value in encodeState's form, as the object store keeps them: the
// map's own codec would keep no checksum, and a state damaged in the store
// would be read as good. Earlier versions stored engine.State in the map's
// default codec (codec.Binary); decodeState reads those too.
type sharedStore struct {
	m      *shared.Map[string, []byte]
	leases *shared.Map[string, leaseRecord]
}

// rawBytes is the states map's codec: a value is stored as the bytes it is.
type rawBytes struct{}

func (rawBytes) Name() string { return "raw" }

func (rawBytes) Marshal(v any) ([]byte, error) {
	p, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("remd: raw codec: encode %T: want *[]byte", v)
	}
	return *p, nil
}

func (rawBytes) Unmarshal(b []byte, v any) error {
	p, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("remd: raw codec: decode into %T: want *[]byte", v)
	}
	*p = b
	return nil
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
	return loadState(key, func() ([]byte, error) {
		b, ok, err := s.m.Load(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("load state %s: %w", key, err)
		}
		if !ok {
			return nil, fmt.Errorf("load state %s: not in the shared map (was the run started with another -shared-url, or the store flushed?)", key)
		}
		return b, nil
	})
}

func (s sharedStore) save(ctx context.Context, key string, st engine.State) error {
	b, err := encodeState(key, st)
	if err == nil {
		err = s.m.Store(ctx, key, b)
	}
	if err != nil {
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
