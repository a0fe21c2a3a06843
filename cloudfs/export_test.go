package cloudfs

import (
	"io/fs"
	"time"
)

// CacheHeld is the bytes f's read cache keeps (0 before any ReadAt).
func CacheHeld(f fs.File) int64 {
	fl := f.(*File)
	fl.mu.Lock()
	c := fl.cache
	fl.mu.Unlock()
	if c == nil {
		return 0
	}
	return c.heldBytes()
}

// SetWriteCheckTTL sets how long f trusts what the checks before its
// writes learnt.
func SetWriteCheckTTL(f *FS, d time.Duration) { f.wc.ttl = d }
