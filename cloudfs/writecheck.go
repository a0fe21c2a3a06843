package cloudfs

import (
	"iter"
	"strings"
	"sync"
	"time"
)

// writeChecks remembers what the checks before a write learnt, so that a
// write in a directory already checked costs the write alone: that no
// object lies at a parent's key (so no file is on the path, ENOTDIR),
// that nothing lies below a name (so it is no directory, EISDIR), and
// that nothing lay below a directory, so that every name in it is
// neither but for what this FS wrote there since. All are absences, which
// only a creation can end, so every write through the FS (any view)
// reports its keys before and after it (creating), which drops the facts
// they contradict, and a check that overlapped a contradicting creation
// records nothing. Another program's creations are seen at most ttl late,
// as its writes are by listings (scanTTL).
type writeChecks struct {
	ttl time.Duration

	mu      sync.Mutex
	seq     uint64     // creations reported so far
	recent  []creation // the latest of them, oldest first
	base    uint64     // recent holds every creation after base
	noFile  map[string]time.Time
	noDir   map[string]time.Time
	empty   map[string]*emptyDir // by the directory's key
	maxKeys int                  // the facts kept, at most
}

// emptyDir is a directory that had nothing below it at a time, and the
// keys this FS has created below it since.
type emptyDir struct {
	at      time.Time
	created map[string]bool
}

type creation struct {
	seq uint64
	key string
}

// recentCreations bounds the creations kept for checks in flight; a check
// that began before the oldest of them records nothing.
const recentCreations = 256

// maxCreatedBelow bounds the keys kept of a directory known empty.
const maxCreatedBelow = 1024

func newWriteChecks() *writeChecks {
	return &writeChecks{ttl: scanTTL, maxKeys: 1 << 14,
		noFile: map[string]time.Time{}, noDir: map[string]time.Time{}, empty: map[string]*emptyDir{}}
}

// begin returns the mark a check passes to learn.
func (w *writeChecks) begin() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seq
}

// knownNoFile reports whether no object was at key less than ttl ago.
func (w *writeChecks) knownNoFile(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fresh(w.noFile[key]) {
		return true
	}
	for a := range ancestors(key) {
		if e := w.empty[a]; e != nil && w.fresh(e.at) {
			return !e.created[key]
		}
	}
	return false
}

// knownNoDir reports whether nothing lay below key less than ttl ago.
func (w *writeChecks) knownNoDir(key string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.fresh(w.noDir[key]) {
		return true
	}
	for a := range selfAndAncestors(key) {
		if e := w.empty[a]; e != nil && w.fresh(e.at) {
			for k := range e.created {
				if strings.HasPrefix(k, key+"/") {
					return false
				}
			}
			return true
		}
	}
	return false
}

func (w *writeChecks) fresh(at time.Time) bool { return !at.IsZero() && time.Since(at) < w.ttl }

// ancestors yields the keys of the directories above key, nearest first.
func ancestors(key string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for {
			i := strings.LastIndexByte(key, '/')
			if i < 0 {
				return
			}
			key = key[:i]
			if !yield(key) {
				return
			}
		}
	}
}

// selfAndAncestors yields key, then ancestors(key).
func selfAndAncestors(key string) iter.Seq[string] {
	return func(yield func(string) bool) {
		if yield(key) {
			ancestors(key)(yield)
		}
	}
}

// learn records, for a check begun at mark, that no object lies at the
// keys noFile, nothing below noDir, and nothing below empty ("" for
// none), unless a creation since mark contradicts it.
func (w *writeChecks) learn(mark uint64, noFile []string, noDir, empty string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if mark < w.base {
		return // creations it overlapped are forgotten
	}
	if len(w.noFile)+len(w.noDir)+len(w.empty)+len(noFile)+2 > w.maxKeys {
		clear(w.noFile)
		clear(w.noDir)
		clear(w.empty)
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
	if empty != "" {
		// What was created below it since mark may or may not have been
		// listed: count it as created after.
		e := &emptyDir{at: now, created: map[string]bool{}}
		for i := len(w.recent) - 1; i >= 0 && w.recent[i].seq > mark; i-- {
			if k := w.recent[i].key; strings.HasPrefix(k, empty+"/") {
				e.created[k] = true
			}
		}
		if len(e.created) <= maxCreatedBelow {
			w.empty[empty] = e
		}
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
		for a := range ancestors(k) {
			delete(w.noDir, a)
			if e := w.empty[a]; e != nil {
				if e.created[k] = true; len(e.created) > maxCreatedBelow {
					delete(w.empty, a) // a plain directory now
				}
			}
		}
	}
	if n := len(w.recent); n > recentCreations {
		drop := n - recentCreations/2
		w.base = w.recent[drop-1].seq
		w.recent = append(w.recent[:0], w.recent[drop:]...)
	}
}
