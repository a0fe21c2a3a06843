package process

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
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
	var h [headerSize]byte
	h[0] = f.kind
	binary.BigEndian.PutUint64(h[1:9], f.seq)
	binary.BigEndian.PutUint32(h[9:13], uint32(len(f.payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(f.payload)
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

// sender batches frames from many goroutines into one buffered writer and
// flushes only when no more frames are waiting, so a burst of calls costs one
// write system call rather than one each.
type sender struct {
	ch   chan frame
	quit chan struct{}
	done chan struct{}
	err  error
}

func newSender(w io.Writer) *sender {
	s := &sender{ch: make(chan frame, 1024), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		bw := bufio.NewWriterSize(w, 64<<10)
		write := func(f frame) {
			if s.err == nil { // after an error the peer is gone: drop
				s.err = writeFrame(bw, f)
			}
		}
		for {
			select {
			case f := <-s.ch:
				write(f)
				if len(s.ch) == 0 && s.err == nil {
					s.err = bw.Flush()
				}
			case <-s.quit:
				for {
					select {
					case f := <-s.ch:
						write(f)
					default:
						if s.err == nil {
							s.err = bw.Flush()
						}
						return
					}
				}
			}
		}
	}()
	return s
}

// close writes what is queued and stops. Frames sent after close are dropped.
func (s *sender) close() {
	select {
	case <-s.quit:
	default:
		close(s.quit)
	}
	<-s.done
}
