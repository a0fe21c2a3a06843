package cloudfs

import (
	"strings"
	"sync"
	"time"
)

// writeChecks remembers what the checks before a write learnt, so that a
// write in a directory already checked costs the write alone: that no
// object lies at a parent's key (so no file is on the path, ENOTDIR), and
// that nothing lies below a name (so it is no directory, EISDIR). Both
// are absences, which only a creation can end, so every write through the
// FS (any view) reports its keys before and after it (creating), which
// drops the facts they contradict, and a check that overlapped a
// contradicting creation records nothing. Another program's creations are
// seen at most ttl late, as its writes are by listings (scanTTL).
type writeChecks struct {
	ttl time.Duration

	mu      sync.Mutex
	seq     uint64     // creations reported so far
	recent  []creation // the latest of them, oldest first
	base    uint64     // recent holds every creation after base
	noFile  map[string]time.Time
	noDir   map[string]time.Time
	maxKeys int // the facts kept, at most
}

type creation struct {
	seq uint64
	key string
}

// recentCreations bounds the creations kept for checks in flight; a check
// that began before the oldest of them records nothing.
const recentCreations = 256

func newWriteChecks() *writeChecks {
	return &writeChecks{ttl: scanTTL, maxKeys: 1 << 14,
		noFile: map[string]time.Time{}, noDir: map[string]time.Time{}}
}

// begin returns the mark a check passes to learn.
func (w *writeChecks) begin() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// knownNoFile reports whether no object was at key less than ttl ago.
func (w *writeChecks) knownNoFile(key string) bool { return w.known(w.noFile, key) }

// knownNoDir reports whether nothing lay below key less than ttl ago.
func (w *writeChecks) knownNoDir(key string) bool { return w.known(w.noDir, key) }

func (w *writeChecks) known(m map[string]time.Time, key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	at, ok := m[key]
	return ok && time.Since(at) < w.ttl
}

// learn records, for a check begun at mark, that no object lies at the
// keys noFile and nothing below noDir ("" for none), unless a creation
// since mark contradicts it.
func (w *writeChecks) learn(mark uint64, noFile []string, noDir string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if mark < w.base {
		return // creations it overlapped are forgotten
	}
	if len(w.noFile)+len(w.noDir)+len(noFile)+1 > w.maxKeys {
		clear(w.noFile)
		clear(w.noDir)
	}
	now := time.Now()
	for _, k := range noFile {
		if !w.createdSince(mark, k, false) {
			w.noFile[k] = now
		}
	}
	if noDir != "" && !w.createdSince(mark, noDir, true) {
		w.noDir[noDir] = now
	}
}

// createdSince reports whether a creation after mark made key a file (or,
// with below, a directory).
func (w *writeChecks) createdSince(mark uint64, key string, below bool) bool {
	for i := len(w.recent) - 1; i >= 0 && w.recent[i].seq > mark; i-- {
		if k := w.recent[i].key; k == key && !below || below && strings.HasPrefix(k, key+"/") {
			return true
		}
	}
	return false
}

// creating reports that objects are being written at keys; the returned
// func reports that the writes ended, however they ended.
func (w *writeChecks) creating(keys ...string) (done func()) {
	w.created(keys)
	return sync.OnceFunc(func() { w.created(keys) })
}

func (w *writeChecks) created(keys []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		w.seq++
		w.recent = append(w.recent, creation{w.seq, k})
		delete(w.noFile, k)
		for p := k; ; {
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
			delete(w.noDir, p)
		}
	}
	if n := len(w.recent); n > recentCreations {
		drop := n - recentCreations/2
		w.base = w.recent[drop-1].seq
		w.recent = append(w.recent[:0], w.recent[drop:]...)
	}
}
