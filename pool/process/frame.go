package process

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Frame kinds. Every frame is: kind (1 byte), call sequence number (8 bytes,
// big endian), payload length (4 bytes, big endian), payload.
const (
	kindHello   byte = 'H' // worker → driver: ready, payload is a hello JSON
	kindCall    byte = 'C' // driver → worker: run this call now; payload is an envelope
	kindQueue   byte = 'Q' // driver → worker: run this call when one of yours ends
	kindPromote byte = 'P' // driver → worker: start queued call seq now; no payload
	kindStarted byte = 'S' // worker → driver: queued call seq started; no payload
	kindRecall  byte = 'W' // driver → worker: hand queued call seq back (N) if it has not started; no payload
	kindCancel  byte = 'X' // driver → worker: cancel call seq; no payload
	kindResult  byte = 'R' // worker → driver: payload is an envelope
	kindBye     byte = 'B' // worker → driver: leaving; send nothing more, close the call pipe
	kindRefused byte = 'N' // worker → driver: call seq did not start here and will not; send it elsewhere
	// Liveness: sent only to a worker that said "ping" in its hello, once
	// per interval at most, never per call: to a child process when it has
	// been silent with calls in flight for a whole interval; to an
	// attached worker every interval, idle too (see Backend.watch).
	kindPing  byte = 'K' // driver → worker: are you there? no payload
	kindAlive byte = 'A' // worker → driver: answer to K, written by the worker's reader at once; no payload
)

const headerSize = 13

type frame struct {
	kind    byte
	seq     uint64
	payload []byte
}

// appendEnvelope lays out a call or result envelope as a frame payload: the
// length of its JSON header as a uvarint, the header (the envelope without
// its payload), then the payload bytes as they are. Keeping the payload out
// of the JSON spares both sides a pass over it (json.Marshal validates and
// compacts a RawMessage; json.Unmarshal scans it), which is most of the cost
// of a call carrying a few kilobytes.
func appendEnvelope(b []byte, header any, payload []byte) ([]byte, error) {
	h, err := json.Marshal(header)
	if err != nil {
		return nil, err
	}
	b = binary.AppendUvarint(b, uint64(len(h)))
	return append(append(b, h...), payload...), nil
}

// splitEnvelope decodes the header of an envelope laid out by appendEnvelope
// into header and returns the payload bytes, which alias p.
func splitEnvelope(p []byte, header any) ([]byte, error) {
	n, k := binary.Uvarint(p)
	if k <= 0 || n > uint64(len(p)-k) {
		return nil, fmt.Errorf("envelope header length %d does not fit a %d-byte frame", n, len(p))
	}
	if err := json.Unmarshal(p[k:k+int(n)], header); err != nil {
		return nil, err
	}
	return p[k+int(n):], nil
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
	shutting io.Closer  // closed once what is buffered is written
	idle     *sync.Cond // broadcast when a flush ends; on mu
}

var errShut = errors.New("process: pipe closed")

// shut closes c once every frame buffered so far is written, and makes later
// sends fail.
func (s *sender) shut(c io.Closer) {
	s.mu.Lock()
	s.shutting = c
	s.mu.Unlock()
	s.flush()
}

func newSender(w io.Writer) *sender {
	s := &sender{w: w}
	s.idle = sync.NewCond(&s.mu)
	return s
}

// drain returns once every frame queued so far is written, or the stream
// failed. A flush handed to a goroutine of its own (a refusal) may still be
// under way when the worker leaves, and the stream closes behind it.
func (s *sender) drain() {
	s.mu.Lock()
	for s.flushing {
		s.idle.Wait()
	}
	s.mu.Unlock()
	s.flush()
}

// send queues frames and returns once they are written, or handed to the
// goroutine writing right now. An error means the peer is gone.
func (s *sender) send(fs ...frame) error {
	s.enqueue(fs...)
	return s.flush()
}

// enqueue adds frames to the buffer without writing, so that a caller
// holding a lock can fix their order on the wire and write after unlocking.
func (s *sender) enqueue(fs ...frame) {
	s.mu.Lock()
	for _, f := range fs {
		s.buf = appendFrame(s.buf, f)
	}
	s.mu.Unlock()
}

// flush writes what is buffered, unless another goroutine is writing now,
// which then writes it too.
func (s *sender) flush() error {
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return err
	}
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
	s.idle.Broadcast()
	c := s.shutting
	if c != nil {
		s.shutting = nil
		if s.err == nil {
			s.err = errShut
		}
	}
	err := s.err
	s.mu.Unlock()
	if c != nil {
		c.Close()
	}
	return err
}

func appendFrame(b []byte, f frame) []byte {
	var h [headerSize]byte
	h[0] = f.kind
	binary.BigEndian.PutUint64(h[1:9], f.seq)
	binary.BigEndian.PutUint32(h[9:13], uint32(len(f.payload)))
	return append(append(b, h[:]...), f.payload...)
}
