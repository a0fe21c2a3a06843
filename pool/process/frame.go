package process

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
)

// Frame kinds. Every frame is: kind (1 byte), call sequence number (8 bytes,
// big endian), payload length (4 bytes, big endian), payload.
const (
	kindHello  byte = 'H' // worker → driver: ready, payload is a hello JSON
	kindCall   byte = 'C' // driver → worker: payload is a pool.Request
	kindCancel byte = 'X' // driver → worker: cancel call seq; no payload
	kindResult byte = 'R' // worker → driver: payload is a pool.Response
)

const headerSize = 13

type frame struct {
	kind    byte
	seq     uint64
	payload []byte
}

func writeFrame(w *bufio.Writer, f frame) error {
	_, err := w.Write(appendFrame(nil, f))
	return err
}

// errOversize reports a frame whose payload exceeded the limit; its payload
// was skipped, so the stream stays in step and the sender can be told.
type errOversize struct {
	seq  uint64
	size uint32
}

func (e *errOversize) Error() string {
	return fmt.Sprintf("frame of %d bytes for call %d exceeds the limit", e.size, e.seq)
}

// readFrame reads one frame. A payload over max is skipped and reported as
// *errOversize, which leaves the reader usable.
func readFrame(r *bufio.Reader, max int) (frame, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return frame{}, err
	}
	f := frame{kind: h[0], seq: binary.BigEndian.Uint64(h[1:9])}
	n := binary.BigEndian.Uint32(h[9:13])
	if int64(n) > int64(max) {
		if _, err := io.CopyN(io.Discard, r, int64(n)); err != nil {
			return frame{}, err
		}
		return f, &errOversize{seq: f.seq, size: n}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, fmt.Errorf("truncated frame: %w", err)
	}
	return f, nil
}

// sender writes frames from many goroutines with group commit: a goroutine
// that finds no write in progress writes its frame at once (no hand-off, so a
// lone call pays one system call), while frames that arrive during a write are
// gathered and written together by that same goroutine, so a burst of calls
// costs few system calls.
type sender struct {
	w        io.Writer
	mu       sync.Mutex
	buf      []byte
	spare    []byte
	flushing bool
	err      error
}

func newSender(w io.Writer) *sender { return &sender{w: w} }

// send queues f and returns once it is written, or handed to the goroutine
// writing right now. An error means the peer is gone.
func (s *sender) send(f frame) error {
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
	s.buf = appendFrame(s.buf, f)
	if s.flushing {
		s.mu.Unlock()
		return nil
	}
	s.flushing = true
	for len(s.buf) > 0 && s.err == nil {
		data := s.buf
		s.buf, s.spare = s.spare[:0], nil
		s.mu.Unlock()
		_, err := s.w.Write(data)
		s.mu.Lock()
		s.spare = data[:0]
		if err != nil {
			s.err = err
		}
	}
	s.flushing = false
	err := s.err
	s.mu.Unlock()
	return err
}

func appendFrame(b []byte, f frame) []byte {
	var h [headerSize]byte
	h[0] = f.kind
	binary.BigEndian.PutUint64(h[1:9], f.seq)
	binary.BigEndian.PutUint32(h[9:13], uint32(len(f.payload)))
	return append(append(b, h[:]...), f.payload...)
}
