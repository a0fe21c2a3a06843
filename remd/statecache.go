package remd

import (
	"sync"

	"github.com/burst-dev/burst/remd/engine"
)

// A segment on ObjectStore or Shared storage reads its replica's state,
// which the replica's previous segment stored. When that segment ran in
// this process (always on local://, about one call in w on a pool of w
// workers), the state is still in its memory: kept stores it here too, and
// the next segment takes it instead of reading the store, which saves the
// GET and the store's server the work of it (on the S3 test server and a
// client on the same cores, half of what an objectstore call costs beyond
// a payload call). The store is still written every time: it is what other
// workers, and a resume, read.
//
// An entry is good only within the driver's session that wrote it (a
// resume reads the store), is taken by one reader (a retry or backup
// attempt reads the store, as the one that took it may have moved it), and
// goes once keptBytes of newer states are kept. The package doc says the
// same for users: keep the two in step.
var kept struct {
	sync.Mutex
	m     map[string]*engine.State // by keptKey
	queue []string                 // keys in the order stored; taken ones linger until popped
	bytes int
}

// keptBytes bounds what kept holds: states whose next segment ran in
// another process would otherwise stay. 64 MiB is 2 500 states of the WW
// domain (26 KiB each), many rounds of a study's replicas.
const keptBytes = 64 << 20

func keptKey(session, key string) string { return session + "\x00" + key }

func stateBytes(st *engine.State) int { return 8 * (len(st.X) + len(st.V)) }

// keep stores st, which the caller gives up, as the state under key in session.
func keep(session, key string, st *engine.State) {
	if session == "" || stateBytes(st) > keptBytes/4 {
		return
	}
	kept.Lock()
	defer kept.Unlock()
	if kept.m == nil {
		kept.m = map[string]*engine.State{}
	}
	k := keptKey(session, key)
	if old, ok := kept.m[k]; ok {
		// A backup attempt's, the same state.
		kept.bytes -= stateBytes(old)
	} else {
		kept.queue = append(kept.queue, k)
	}
	kept.m[k] = st
	kept.bytes += stateBytes(st)
	for kept.bytes > keptBytes && len(kept.queue) > 0 {
		old := kept.queue[0]
		kept.queue = kept.queue[1:]
		if s, ok := kept.m[old]; ok {
			kept.bytes -= stateBytes(s)
			delete(kept.m, old)
		}
	}
	// Taken keys linger in the queue: rebuild it before they outnumber the
	// kept ones.
	if len(kept.queue) > 2*len(kept.m)+64 {
		q := make([]string, 0, len(kept.m))
		for _, k := range kept.queue {
			if _, ok := kept.m[k]; ok {
				q = append(q, k)
			}
		}
		kept.queue = q
	}
}

// take returns the state kept under key in session, and forgets it.
func take(session, key string) (*engine.State, bool) {
	if session == "" {
		return nil, false
	}
	kept.Lock()
	defer kept.Unlock()
	k := keptKey(session, key)
	st, ok := kept.m[k]
	if ok {
		delete(kept.m, k)
		kept.bytes -= stateBytes(st)
	}
	return st, ok
}
