package remd

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/pool/codec"
	"github.com/burst-dev/burst/remd/engine"
)

func init() {
	storeOpeners[ObjectStore] = func(ctx context.Context, url string) (stateStore, error) {
		f, err := cloudfs.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return objectStore{f}, nil
	}
}

// objectStore keeps each state as one JSON object; an object store's write
// is atomic on close, so a reader never sees half a state.
type objectStore struct{ fs *cloudfs.FS }

func (o objectStore) load(ctx context.Context, key string) (engine.State, error) {
	var st engine.State
	b, err := o.fs.WithContext(ctx).ReadFile(key)
	if err != nil {
		return st, fmt.Errorf("load state: %w", err)
	}
	if err := codec.JSON.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("load state %s: %w", key, err)
	}
	return st, nil
}

func (o objectStore) save(ctx context.Context, key string, st engine.State) error {
	b, err := codec.JSON.Marshal(st)
	if err != nil {
		return err
	}
	if err := o.fs.WithContext(ctx).WriteFile(key, b); err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

func (o objectStore) remove(ctx context.Context, key string) error {
	if err := o.fs.WithContext(ctx).Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	return nil
}
