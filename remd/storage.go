package remd

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/burst-dev/burst/remd/engine"
)

// Storage names where replica states live between segments: the study's
// three prototypes. Results are identical in all three; they differ in what
// travels with each call.
type Storage string

const (
	// Payload sends each state inside the call and back in its result.
	Payload Storage = "payload"
	// ObjectStore keeps states in a cloudfs file system (StorageURL); a
	// call carries only keys.
	ObjectStore Storage = "objectstore"
	// Shared keeps states in a shared.Map (SharedURL); a call carries only
	// keys.
	Shared Storage = "shared"
)

// Storages are the accepted storage names.
var Storages = []Storage{Payload, ObjectStore, Shared}

// stateStore is where ObjectStore and Shared keep states. Keys are versioned
// by round, so a retried call rewrites the same value and a resumed run finds
// the states its checkpoint names.
type stateStore interface {
	load(ctx context.Context, key string) (engine.State, error)
	save(ctx context.Context, key string, st engine.State) error
	// removeMany deletes keys, in as few requests as the store takes; a
	// missing key is not an error.
	removeMany(ctx context.Context, keys []string) error
}

// storeOpeners is filled by the files that implement each storage.
var storeOpeners = map[Storage]func(ctx context.Context, url string) (stateStore, error){}

// stores caches open stores by URL for the life of the process: a worker
// serves many calls, and opening a connection per call would dominate short
// segments. It also makes mem:// URLs name one store for the driver and the
// in-process functions alike.
var stores struct {
	sync.Mutex
	m map[string]stateStore
}

func openStore(ctx context.Context, s Storage, url string) (stateStore, error) {
	open, ok := storeOpeners[s]
	if !ok {
		return nil, fmt.Errorf("remd: storage %q: want one of %v", s, Storages)
	}
	if url == "" {
		return nil, fmt.Errorf("remd: storage %q needs a URL", s)
	}
	key := string(s) + " " + url
	stores.Lock()
	defer stores.Unlock()
	if st, ok := stores.m[key]; ok {
		return st, nil
	}
	st, err := open(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("remd: storage %s at %s: %w", s, url, err)
	}
	if stores.m == nil {
		stores.m = map[string]stateStore{}
	}
	stores.m[key] = st
	return st, nil
}

// stateKey names the state of a replica after a round.
func stateKey(runID string, round, replica int) string {
	return fmt.Sprintf("remd/%s/r%06d/replica-%04d.json", runID, round, replica)
}

// keyRound is the round of the state stateKey named key; ok is false for
// a key it did not make.
func keyRound(key string) (round int, ok bool) {
	var runID string
	var rep int
	// %s reads up to the space that Sscanf needs: the run ID is hex.
	if _, err := fmt.Sscanf(strings.Replace(key, "/", " ", 2), "remd %s r%d/replica-%d.json", &runID, &round, &rep); err != nil {
		return 0, false
	}
	return round, stateKey(runID, round, rep) == key
}
