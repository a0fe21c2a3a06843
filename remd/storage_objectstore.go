package remd

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"

	"github.com/burst-dev/burst/cloudfs"
	"github.com/burst-dev/burst/codec"
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

// objectStore keeps each state as one object in encodeState's form under the key
// stateKey names; an object store's write is atomic on close, so a reader
// never sees half a state. Earlier versions wrote JSON under the same keys:
// a state's first bytes tell its form, so a run resumed from such a
// version's checkpoint reads its states, and overwrites and drops them as
// that version would have (hence the key's ".json", which new states keep).
type objectStore struct{ fs *cloudfs.FS }

// stateMagic starts every state object: its format and version.
const stateMagic = "burst remd state v1\n"

// The binary form of a state is stateMagic followed by the checkpoint's
// packed form of that one state (appendStates: the two counts, then the
// IEEE 754 bits of X and V, little-endian). It is what the JSON form held
// in base64, without the base64 and the JSON around it: a quarter fewer
// bytes to hash, sign, send and store, and no text to scan on either side.
func encodeState(st engine.State) []byte {
	return appendStates([]byte(stateMagic), []engine.State{st})
}

// decodeState reads encodeState's form, or the JSON of earlier versions.
func decodeState(b []byte) (engine.State, error) {
	var st engine.State
	if !bytes.HasPrefix(b, []byte(stateMagic)) {
		if len(b) > 0 && b[0] == '{' {
			err := codec.JSON.Unmarshal(b, &st)
			return st, err
		}
		return st, fmt.Errorf("not a state: want %q or a JSON object, have %q", stateMagic, b[:min(len(b), len(stateMagic))])
	}
	states, err := unpackStates(b[len(stateMagic):])
	if err == nil && len(states) == 1 {
		return states[0], nil
	}
	// A run checkpointed by a version of 82a1f50..bd0e310 holds states of
	// the same header with 64-bit counts: read them, so that -resume of
	// such a run continues it (the packed form does not parse them).
	if st, ok := decodeState64(b[len(stateMagic):]); ok {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	return st, fmt.Errorf("%d states in one object: want 1", len(states))
}

// decodeState64 reads the first binary form of a state after its header:
// the counts of coordinates and of velocities as uint64, then their IEEE
// 754 bits, all little-endian; ok only when the lengths add up exactly.
func decodeState64(b []byte) (st engine.State, ok bool) {
	if len(b) < 16 {
		return st, false
	}
	nx, nv := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
	b = b[16:]
	if nx > uint64(len(b))/8 || nv > uint64(len(b))/8 || 8*(nx+nv) != uint64(len(b)) {
		return st, false
	}
	vals := make([]float64, nx+nv)
	for i := range vals {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return engine.State{X: vals[:nx:nx], V: vals[nx:]}, true
}

func (o objectStore) load(ctx context.Context, key string) (engine.State, error) {
	b, err := o.fs.WithContext(ctx).ReadFile(key)
	if errors.Is(err, fs.ErrNotExist) {
		// As shared storage says: the likely causes, not only the key.
		return engine.State{}, fmt.Errorf("load state %s: not in the store (was the run started with another -storage-url, its states deleted, or the store's server restarted without its data?): %w", key, err)
	}
	if err != nil {
		return engine.State{}, fmt.Errorf("load state: %w", err)
	}
	st, err := decodeState(b)
	if err != nil {
		return st, fmt.Errorf("load state %s: %w", key, err)
	}
	return st, nil
}

func (o objectStore) save(ctx context.Context, key string, st engine.State) error {
	if err := o.fs.WithContext(ctx).WriteFile(key, encodeState(st)); err != nil {
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
