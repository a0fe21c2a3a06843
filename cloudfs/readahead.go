package cloudfs

import (
	"context"
	"io/fs"
	"path"
	"slices"
	"sync"
	"time"
)

// Read-ahead of directory listings.
//
// fs.WalkDir lists directories one after another, so a walk over d
// directories costs d sequential list round trips, where a flat listing of
// the same keys costs one per thousand keys. When ReadDir sees a walk — it
// is asked for a directory whose parent it listed recently — it lists the
// next few siblings concurrently in the background, and the ReadDir calls
// that follow take those listings instead of waiting for their own.
//
// A read-ahead listing is used only if nothing was written through any view
// of this FS since it started, and only for a few seconds; otherwise
// ReadDir lists afresh. So ReadDir stays as consistent as a plain listing
// with respect to this program's own writes.
const (
	readAheadWindow = 8               // sibling listings in flight ahead of the walk
	readAheadTTL    = 5 * time.Second // how long an unused listing stays valid
	readAheadDirs   = 64              // parents remembered for sibling look-up
)

type readAhead struct {
	mu      sync.Mutex
	gen     uint64              // bumped by every write
	pending map[string]*listing // by directory key prefix
	parents map[string][]string // directory key prefix -> its subdirectory names (sorted)
	order   []string            // parents, oldest first, to bound memory
	now     func() time.Time
	hits    int // listings taken, for tests
}

type listing struct {
	done   chan struct{}
	gen    uint64
	start  time.Time
	ents   []fs.DirEntry
	marker bool
	err    error
}

func newReadAhead() *readAhead {
	return &readAhead{pending: map[string]*listing{}, parents: map[string][]string{}, now: time.Now}
}

// invalidate drops every read-ahead listing; writes call it when done.
func (ra *readAhead) invalidate() {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	ra.gen++
	clear(ra.pending)
}

// take returns the read-ahead listing of prefix, waiting for it if it is
// in flight; ok is false when there is none that is still valid.
func (ra *readAhead) take(ctx context.Context, prefix string) (ents []fs.DirEntry, marker, ok bool, err error) {
	ra.mu.Lock()
	l := ra.pending[prefix]
	delete(ra.pending, prefix)
	ra.mu.Unlock()
	if l == nil {
		return nil, false, false, nil
	}
	select {
	case <-l.done:
	case <-ctx.Done():
		return nil, false, false, ctx.Err()
	}
	ra.mu.Lock()
	valid := l.err == nil && l.gen == ra.gen && ra.now().Sub(l.start) < readAheadTTL
	ra.mu.Unlock()
	if !valid {
		return nil, false, false, nil
	}
	ra.mu.Lock()
	ra.hits++
	ra.mu.Unlock()
	return l.ents, l.marker, true, nil
}

// readAhead records the subdirectories of the directory just listed and,
// if that directory is one of its parent's recorded subdirectories, starts
// listing the next siblings.
func (ra *readAhead) readAhead(ctx context.Context, f *FS, name, prefix string, ents []fs.DirEntry) {
	var subdirs []string
	for _, e := range ents {
		if e.IsDir() {
			subdirs = append(subdirs, e.Name())
		}
	}
	ra.mu.Lock()
	defer ra.mu.Unlock()
	now := ra.now()
	for p, l := range ra.pending {
		if now.Sub(l.start) >= readAheadTTL {
			delete(ra.pending, p)
		}
	}
	if len(subdirs) > 1 {
		if _, seen := ra.parents[prefix]; !seen {
			ra.order = append(ra.order, prefix)
		}
		ra.parents[prefix] = subdirs
		for len(ra.order) > readAheadDirs {
			delete(ra.parents, ra.order[0])
			ra.order = ra.order[1:]
		}
	}
	if name == "." {
		return
	}
	parentPrefix := f.dirPrefix(parentDir(name))
	sibs := ra.parents[parentPrefix]
	i, found := slices.BinarySearch(sibs, path.Base(name))
	if !found {
		return
	}
	for _, sib := range sibs[i+1 : min(len(sibs), i+1+readAheadWindow)] {
		p := parentPrefix + sib + "/"
		if ra.pending[p] != nil {
			continue
		}
		l := &listing{done: make(chan struct{}), gen: ra.gen, start: now}
		ra.pending[p] = l
		go func() {
			defer close(l.done)
			l.ents, l.marker, l.err = f.list(ctx, p)
		}()
	}
	if i == len(sibs)-1 {
		// The walk has reached the last sibling; the parent is done with.
		delete(ra.parents, parentPrefix)
	}
}
