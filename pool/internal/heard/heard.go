// Package heard is what a liveness watch knows of a stream it reads: whether
// bytes came from the peer since it last looked, and whether a read is
// under way. Both ends of the process protocol watch their peer this way
// (the driver its workers, a tcp:// worker its driver): flags set as reads
// happen, not a timer per read, so a call costs nothing more.
package heard

import (
	"io"
	"sync/atomic"
)

// Reader reads from R, noting every read that brings bytes and whether a
// read is under way.
type Reader struct {
	R       io.Reader
	heard   atomic.Bool
	reading atomic.Bool
}

// Read reads from R.
func (h *Reader) Read(p []byte) (int, error) {
	h.reading.Store(true)
	n, err := h.R.Read(p)
	if n > 0 && !h.heard.Load() {
		h.heard.Store(true)
	}
	h.reading.Store(false)
	return n, err
}

// Heard reports whether bytes came since it was last called.
func (h *Reader) Heard() bool { return h.heard.Swap(false) }

// Listening reports whether a read is under way. A watch that heard nothing
// during an interval at whose end nobody was reading cannot blame the peer:
// its answers may be waiting unread while the reader is busy elsewhere (a
// long write, a slow callback on the reader's goroutine).
func (h *Reader) Listening() bool { return h.reading.Load() }
