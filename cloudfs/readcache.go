package cloudfs

import (
	"slices"
	"sync"
)

// DefaultReadCache is the default of Options.ReadCache: the bytes one File
// keeps of the ranges its ReadAt fetched.
const DefaultReadCache = 8 << 20

// minWindow is the least a ReadAt that misses the cache fetches. A
// request costs a round trip of tens of milliseconds on a cloud service,
// in which a megabyte arrives too; and readers of archives and columnar
// files read a header or footer and then the section it points to, which
// one fetch of this size usually covers.
const minWindow = 1 << 20

// readCache keeps the ranges a File's ReadAt fetched, most recently used
// last, within max bytes. A miss fetches a window: minWindow for a read
// that does not follow the previous fetch, doubling (up to max/2) for each
// one that does, so a sequential reader through ReadAt (zip's decompressor
// reads a member 4 KiB at a time) makes few, growing requests. A window
// that would pass the end of the object ends there instead, so reads of a
// trailer (zip's end record and central directory) share one fetch.
type readCache struct {
	max int64 // bytes kept; 0: no cache, every ReadAt is one request

	mu      sync.Mutex
	bufs    []cachedRange
	held    int64
	win     int64 // the window of the last fetch
	lastEnd int64 // where the last fetch ended
}

type cachedRange struct {
	off int64
	b   []byte
}

func newReadCache(size int) *readCache {
	switch {
	case size == 0:
		size = DefaultReadCache
	case size < 0:
		size = 0
	}
	return &readCache{max: int64(size)}
}

// window is the largest fetch the cache makes; larger reads bypass it.
func (c *readCache) window() int64 { return c.max / 2 }

// copy copies into p what the cache holds from off on, and returns how
// many bytes it copied (0 on a miss).
func (c *readCache) copy(p []byte, off int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.bufs) - 1; i >= 0; i-- {
		r := c.bufs[i]
		if off >= r.off && off < r.off+int64(len(r.b)) {
			n := copy(p, r.b[off-r.off:])
			if i != len(c.bufs)-1 {
				c.bufs = append(slices.Delete(c.bufs, i, i+1), r)
			}
			return n
		}
	}
	return 0
}

// plan returns the range to fetch for a miss at off of need bytes, in an
// object of size bytes.
func (c *readCache) plan(off, need, size int64) (start, end int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w := min(int64(minWindow), c.window())
	if off == c.lastEnd && c.win > 0 {
		w = min(2*c.win, c.window()) // a sequential reader: read further ahead
	}
	c.win = w
	w = max(w, need)
	start, end = off, min(size, off+w)
	if end-start < w {
		start = max(0, end-w)
	}
	c.lastEnd = end
	return start, end
}

// add keeps b, fetched from off, dropping the least recently used ranges
// beyond max.
func (c *readCache) add(off int64, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bufs = append(c.bufs, cachedRange{off: off, b: b})
	c.held += int64(len(b))
	for c.held > c.max && len(c.bufs) > 1 {
		c.held -= int64(len(c.bufs[0].b))
		c.bufs[0] = cachedRange{}
		c.bufs = c.bufs[1:]
	}
	if c.held > c.max { // max 0: keep nothing
		c.bufs, c.held = nil, 0
	}
}

// drop lets the cached ranges go.
func (c *readCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.bufs, c.held = nil, 0
}

// heldBytes is the bytes the cache keeps, for tests.
func (c *readCache) heldBytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held
}
