package cloudfs

import "io/fs"

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
