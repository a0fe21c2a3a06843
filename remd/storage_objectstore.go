package remd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/burst-dev/burst/cloudfs"
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

// objectStore keeps each state as one object in encodeState's form under
// the key stateKey names; an object store's write is atomic on close, so a
// reader never sees half a state. Earlier versions wrote other forms under
// the same keys (decodeState reads them), hence the key's ".json", which
// states keep: a run resumed from such a version's checkpoint overwrites
// and drops them as that version would have.
type objectStore struct{ fs *cloudfs.FS }

func (o objectStore) load(ctx context.Context, key string) (engine.State, error) {
	return loadState(key, func() ([]byte, error) {
		b, err := o.fs.WithContext(ctx).ReadFile(key)
		if errors.Is(err, fs.ErrNotExist) {
			// As shared storage says: the likely causes, not only the key.
			return nil, fmt.Errorf("load state %s: not in the store (was the run started with another -storage-url, its states deleted, or the store's server restarted without its data?): %w", key, err)
		}
		if err != nil {
			return nil, fmt.Errorf("load state: %w", err)
		}
		return b, nil
	})
}

func (o objectStore) save(ctx context.Context, key string, st engine.State) error {
	b, err := encodeState(key, st)
	if err == nil {
		err = o.fs.WithContext(ctx).WriteFile(key, b)
	}
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	return nil
}

func (o objectStore) createLease(ctx context.Context, key string, rec leaseRecord) (leaseRecord, bool, error) {
	b, err := json.Marshal(rec)
	if err != nil {
		return leaseRecord{}, false, err
	}
	err = o.fs.WithContext(ctx).CreateExclusive(key, b)
	if !errors.Is(err, fs.ErrExist) {
		return leaseRecord{}, err == nil, err
	}
	cur, err := o.readLease(ctx, key)
	return cur, false, err
}

func (o objectStore) readLease(ctx context.Context, key string) (leaseRecord, error) {
	var cur leaseRecord
	b, err := o.fs.WithContext(ctx).ReadFile(key)
	if err != nil {
		return cur, err
	}
	if err := json.Unmarshal(b, &cur); err != nil {
		// A damaged record protects nothing: treat it as lapsed.
		return leaseRecord{}, nil
	}
	return cur, nil
}

// replaceLease reads, compares and writes: object stores have no
// compare-and-swap that gocloud exposes, so two replacements racing within
// one round trip may both succeed; creation, the common case, is exclusive.
func (o objectStore) replaceLease(ctx context.Context, key string, old, rec leaseRecord) (bool, error) {
	cur, err := o.readLease(ctx, key)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if !equalLease(cur, old) {
		return false, nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return false, err
	}
	return true, o.fs.WithContext(ctx).WriteFile(key, b)
}

func (o objectStore) deleteLease(ctx context.Context, key string, old leaseRecord) error {
	cur, err := o.readLease(ctx, key)
	if err != nil || !equalLease(cur, old) {
		return err
	}
	if err := o.fs.WithContext(ctx).Remove(key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove lease: %w", err)
	}
	return nil
}

// removeMany is one DeleteObjects per 1000 keys on S3 (cloudfs/s3upload
// linked), a Delete per key elsewhere; RemoveFiles rather than Remove also
// because a dropped state needs no NotExist answer, which on S3 costs a
// HEAD before the DELETE.
func (o objectStore) removeMany(ctx context.Context, keys []string) error {
	if err := o.fs.WithContext(ctx).RemoveFiles(keys...); err != nil {
		return fmt.Errorf("remove states: %w", err)
	}
	return nil
}
